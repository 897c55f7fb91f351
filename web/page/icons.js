// Line icons drawn as inline SVG elements (no icon font, no emoji font needed), put into
// every element with data-icon="NAME"; icon(NAME) makes one for the scripts.
const SVG = 'http://www.w3.org/2000/svg';

const SHAPES = {
  mail: [['rect', { x: 3, y: 5, width: 18, height: 14, rx: 2 }], ['path', { d: 'M3 7l9 6 9-6' }]],
  heart: [['path', { d: 'M12 20s-7.5-4.6-7.5-10.2A4.2 4.2 0 0 1 12 7.3a4.2 4.2 0 0 1 7.5 2.5C19.5 15.4 12 20 12 20z' }]],
  clip: [['path', { d: 'M20 11.5l-8.2 8.2a5 5 0 0 1-7-7l8.6-8.6a3.3 3.3 0 0 1 4.7 4.7l-8.6 8.6a1.7 1.7 0 0 1-2.4-2.4l7.9-7.9' }]],
  mic: [['rect', { x: 9, y: 3, width: 6, height: 11, rx: 3 }], ['path', { d: 'M5.5 11a6.5 6.5 0 0 0 13 0M12 17.5V21' }]],
  stop: [['rect', { x: 7, y: 7, width: 10, height: 10, rx: 1.5 }]],
  send: [['path', { d: 'M4 12l16-8-5 16-3-6.5z' }], ['path', { d: 'M12 13.5L20 4' }]],
  question: [['circle', { cx: 12, cy: 12, r: 9 }], ['path', { d: 'M9.6 9.4a2.5 2.5 0 1 1 3.4 2.4c-.6.3-1 .8-1 1.5v.6M12 17h.01' }]],
  bookmark: [['path', { d: 'M6.5 3.5h11v17l-5.5-3.8-5.5 3.8z' }]],
  search: [['circle', { cx: 11, cy: 11, r: 6.5 }], ['path', { d: 'M16 16l4.5 4.5' }]],
  info: [['circle', { cx: 12, cy: 12, r: 9 }], ['path', { d: 'M12 11v5.5M12 7.6h.01' }]],
  sliders: [['path', { d: 'M4 7h9M17 7h3M4 17h3M11 17h9' }], ['circle', { cx: 15, cy: 7, r: 2 }], ['circle', { cx: 9, cy: 17, r: 2 }]],
  transfers: [['path', { d: 'M7.5 20V5M4 8.5L7.5 5 11 8.5M16.5 4v15M13 15.5l3.5 3.5 3.5-3.5' }]],
  close: [['path', { d: 'M6 6l12 12M18 6L6 18' }]],
  more: [['path', { d: 'M6 12h.01M12 12h.01M18 12h.01' }]],
};

export function icon(name) {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('class', `svg-icon icon-${name}`);
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  for (const [tag, attrs] of SHAPES[name] || []) {
    const shape = document.createElementNS(SVG, tag);
    for (const [key, value] of Object.entries(attrs)) shape.setAttribute(key, String(value));
    svg.append(shape);
  }
  return svg;
}

// Replaces the content of element with the icon `name`.
export function setIcon(element, name) {
  element.replaceChildren(icon(name));
}

export function drawIcons(root = document) {
  for (const element of root.querySelectorAll('[data-icon]')) setIcon(element, element.dataset.icon);
}
