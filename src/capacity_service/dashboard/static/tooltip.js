// A tooltip that opens on hover and on keyboard focus, closes on Escape, and stays open while
// the pointer is over it (WAI-ARIA tooltip pattern: role="tooltip" + aria-describedby).
export function attachTooltip(trigger, tooltip) {
  let hovered = false;
  let focused = false;
  let dismissed = false;
  const update = () => {
    const open = (hovered || focused) && !dismissed;
    tooltip.hidden = !open;
    trigger.classList.toggle("tooltip-open", open);
  };
  trigger.addEventListener("mouseenter", () => { hovered = true; dismissed = false; update(); });
  trigger.addEventListener("mouseleave", () => { hovered = false; update(); });
  trigger.addEventListener("focusin", () => { focused = true; dismissed = false; update(); });
  trigger.addEventListener("focusout", (event) => {
    if (!trigger.contains(event.relatedTarget)) { focused = false; update(); }
  });
  trigger.addEventListener("keydown", (event) => {
    if (event.key === "Escape") { dismissed = true; update(); }
  });
  update();
}
