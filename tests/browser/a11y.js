// Checks run inside the page: labelled controls, visible focus, colour contrast (WCAG AA).
window.a11yChecks = {
  unlabelledControls: () => Array.from(document.querySelectorAll('input:not([type=hidden]), select, textarea'))
  .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !e.getAttribute('aria-labelledby'))
  .map(e => e.outerHTML.slice(0, 120)),

  // Text needs 4.5:1 against the background it sits on; enabled controls and bars 3:1 (their fill or
  // their border against what is around them). Disabled controls are exempt, as WCAG says; checkboxes
  // keep Chromium's own drawing (a #767676 frame), which computed styles do not show.
  contrastFailures: () => {
  const rgb = c => { const m = c.match(/[\d.]+/g).map(Number); return {r: m[0], g: m[1], b: m[2], a: m.length > 3 ? m[3] : 1}; };
  const lum = ({r, g, b}) => { const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
  const ratio = (x, y) => { const [a, b] = [lum(x), lum(y)].sort((p, q) => q - p); return (a + 0.05) / (b + 0.05); };
  const background = node => { for (let n = node; n && n.nodeType === 1; n = n.parentElement) {
      const c = rgb(getComputedStyle(n).backgroundColor); if (c.a > 0.5) return c; } return {r: 255, g: 255, b: 255, a: 1}; };
  const visible = e => { const s = getComputedStyle(e); const r = e.getBoundingClientRect();
    return s.visibility !== 'hidden' && s.display !== 'none' && r.width > 0 && r.height > 0 && !e.closest('.skip, .visually-hidden'); };
  const failures = [];
  for (const e of document.querySelectorAll('body *')) {
    if (!visible(e) || e.closest(':disabled') || e.matches(':disabled')) continue;
    const hasText = Array.from(e.childNodes).some(n => n.nodeType === 3 && n.textContent.trim());
    if (hasText) { const value = ratio(rgb(getComputedStyle(e).color), background(e));
      if (value < 4.5) failures.push(`text ${value.toFixed(2)}: ${e.tagName} ${e.textContent.trim().slice(0, 40)}`); }
    if (e.matches('button:not(.link), input:not([type=hidden],[type=checkbox]), select, .progress, .progress > div')) {
      const s = getComputedStyle(e); const around = background(e.parentElement);
      const fill = rgb(s.backgroundColor); const border = rgb(s.borderTopColor);
      const best = Math.max(fill.a > 0.5 ? ratio(fill, around) : 1, parseFloat(s.borderTopWidth) > 0 ? ratio(border, around) : 1);
      if (best < 3) failures.push(`control ${best.toFixed(2)}: ${e.tagName}.${e.className}`);
    }
  }
  return failures;
},

  focusIsVisible: () => { const e = document.activeElement; const s = getComputedStyle(e);
  return e !== document.body && s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2; },
};
