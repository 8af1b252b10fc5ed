// Small DOM helpers: every piece of text goes in as textContent, never as HTML.

export const $ = (selector, root = document) => root.querySelector(selector);

export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value == null || value === false) continue;
    if (name === "text") node.textContent = value;
    else if (name === "class") node.className = value;
    else node.setAttribute(name, value === true ? "" : value);
  }
  node.append(...children.filter((child) => child != null));
  return node;
}

export function row(cells, attributes = {}) {
  return el("tr", attributes, ...cells.map((cell) => (cell instanceof Node ? cell : el("td", { text: cell }))));
}

const announcer = () => document.getElementById("announcer");

// Tell screen readers once (the live region is cleared first so a repeat is spoken too).
export function announce(message) {
  const region = announcer();
  region.textContent = "";
  setTimeout(() => {
    region.textContent = message;
  }, 50);
}
