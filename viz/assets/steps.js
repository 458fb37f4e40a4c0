// The backward stepper: one section per step of the chain rule, shown one at a time.
// Buttons, the slider and the arrow keys (Home/End for the ends) move between steps; the
// address keeps the step (#step-k), so a link or a reload opens the same one. Without
// script every step stays visible, one under the other.
(() => {
  "use strict";
  const steps = document.querySelectorAll("section.step");
  const slider = document.getElementById("slider");
  const counter = document.getElementById("counter");
  const previous = document.getElementById("prev");
  const next = document.getElementById("next");
  const last = steps.length - 1;
  let current = -1;
  document.documentElement.classList.add("js");

  const show = (wanted) => {
    const k = Math.max(0, Math.min(last, wanted));
    if (k === current) return;
    if (current >= 0) steps[current].classList.remove("current");
    steps[k].classList.add("current");
    current = k;
    slider.value = String(k);
    counter.textContent = `step ${k} of ${last}`;
    const focused = document.activeElement;
    previous.disabled = k === 0;
    next.disabled = k === last;
    if ((focused === previous || focused === next) && focused.disabled) { // a disabled button drops the focus
      const other = focused === previous ? next : previous;
      (other.disabled ? slider : other).focus();
    }
    try {
      history.replaceState(null, "", `#step-${k}`);
    } catch (error) {
      // a page opened from a file may not change its address in some browsers: the step shows all the same
    }
  };

  const moves = { ArrowRight: 1, ArrowUp: 1, ArrowLeft: -1, ArrowDown: -1 }; // as the slider moves with them
  previous.addEventListener("click", () => show(current - 1));
  next.addEventListener("click", () => show(current + 1));
  slider.addEventListener("input", () => show(Number.parseInt(slider.value, 10)));
  document.addEventListener("keydown", (event) => {
    if (event.target === slider || event.altKey || event.ctrlKey || event.metaKey) return;
    if (event.key in moves) show(current + moves[event.key]);
    else if (event.key === "Home") show(0);
    else if (event.key === "End") show(last);
    else return;
    event.preventDefault();
  });

  /** The step the address names (#step-k), or null. */
  const linked = () => {
    const match = /^#step-(\d+)$/.exec(location.hash);
    return match ? Number.parseInt(match[1], 10) : null;
  };
  window.addEventListener("hashchange", () => { // an address edited, or a link within the page followed
    const k = linked();
    if (k !== null) show(k);
  });
  show(linked() ?? 0);
})();
