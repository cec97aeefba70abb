// DOM helpers of the console: every value from the server is set as text, never as HTML.

const view = document.getElementById('view');
const statusLine = document.getElementById('status');

/** Makes an element: h('td', { class: 'x' }, 'text', child). Strings become text nodes. */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value == null) continue;
    if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child == null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

export function say(message, isError = false) {
  statusLine.textContent = message;
  statusLine.classList.toggle('error', isError);
}

export function show(title, ...content) {
  view.replaceChildren(h('h2', {}, title), ...content);
  document.title = `${title} – GRC administration`;
  document.getElementById('main').focus();
}

export const day = 86_400_000;
export function when(iso) {
  return iso ? new Date(iso).toLocaleString() : '—';
}
export function expiresIn(iso) {
  const days = Math.round((Date.parse(iso) - Date.now()) / day);
  if (days > 0) return `in ${days} day${days === 1 ? '' : 's'}`;
  if (days === 0) return 'today';
  return `${-days} day${days === -1 ? '' : 's'} ago`;
}
