// Shared pieces of the console's screens. Preact escapes every value it renders: text from the
// server is never HTML.

import htm from 'htm';
import { h } from 'preact';
import { useEffect, useId, useRef, useState } from 'preact/hooks';
import { plain } from './errors.js';

export const html = htm.bind(h);

/** Navigates within the console; the same hash again re-renders (a click on the current page's link). */
export function go(hash) {
  if (location.hash === hash) window.dispatchEvent(new HashChangeEvent('hashchange'));
  else location.hash = hash;
}

export const when = (iso) =>
  iso ? new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' }) : '—';

const day = 86_400_000;
export function relative(iso) {
  const days = Math.round((Date.parse(iso) - Date.now()) / day);
  if (days > 0) return `in ${days} day${days === 1 ? '' : 's'}`;
  if (days === 0) return 'today';
  return `${-days} day${days === -1 ? '' : 's'} ago`;
}

export function Time({ iso }) {
  return iso ? html`<time datetime=${iso}>${when(iso)}</time>` : '—';
}

const statusWords = {
  ACTIVE: 'Active',
  EXPIRING_SOON: 'Expiring soon',
  EXPIRED: 'Expired',
  REVOKED: 'Revoked',
  SUSPENDED: 'Suspended',
};
export const statusLabel = (status) => statusWords[status] ?? status;
export function Badge({ status, children }) {
  return html`<span class=${`badge ${status}`}>${children ?? statusLabel(status)}</span>`;
}

/** A page's heading, focused when the page opens so that screen readers announce it. */
export function Page({ title, children, actions }) {
  const heading = useRef(null);
  useEffect(() => {
    document.title = `${title} – GRC administration`;
    heading.current?.focus({ preventScroll: true });
  }, [title]);
  return html`<section class="page" aria-labelledby="page-title">
    <div class="page-head">
      <h2 id="page-title" tabindex="-1" ref=${heading}>${title}</h2>
      ${actions ? html`<div class="page-actions">${actions}</div>` : null}
    </div>
    ${children}
  </section>`;
}

/** A status banner of one screen (it goes with the screen): `notice` is { text, error } or null. */
export function Notice({ notice }) {
  return html`<div class=${`notice${notice?.error ? ' error' : ''}`} role=${notice?.error ? 'alert' : 'status'}>
    ${notice?.text ?? ''}
  </div>`;
}

/** Runs `load` on mount and when `deps` change: { data, error, reload }. */
export function useLoad(load, deps = []) {
  const [state, setState] = useState({ data: null, error: null, loading: true });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => live && setState({ data, error: null, loading: false }),
      (error) => live && setState({ data: null, error, loading: false }),
    );
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  return { ...state, reload: () => setTick((t) => t + 1) };
}

/** What a screen shows while its data loads, or when the load failed. */
export function Loading({ error }) {
  if (error) return html`<p class="notice error" role="alert">${plain(error).text}</p>`;
  return html`<p class="loading" role="status">Loading…</p>`;
}

/**
 * A form's values and their errors. `checks[name](value, values)` answers an error text or ''.
 * A field's error shows once it was typed in (or the form was submitted); a server error
 * about a field shows next to it until the field changes.
 */
export function useForm(initial, checks = {}) {
  const [values, setValues] = useState(initial);
  const [touched, setTouched] = useState({});
  const [server, setServer] = useState({});
  const [formError, setFormError] = useState('');
  const [busy, setBusy] = useState(false);
  const errorOf = (name) => server[name] || (checks[name] ? checks[name](values[name], values) : '');
  const shownError = (name) => (touched[name] || server[name] ? errorOf(name) : '');
  const set = (name, value) => {
    setValues((v) => ({ ...v, [name]: value }));
    setTouched((t) => ({ ...t, [name]: true }));
    setServer((s) => ({ ...s, [name]: '' }));
    setFormError('');
  };
  return {
    values,
    set,
    busy,
    formError,
    error: shownError,
    /** Submits when every check passes: `action()` may throw an ApiError, shown where it belongs. */
    async submit(event, action) {
      event?.preventDefault();
      setTouched(Object.fromEntries(Object.keys(checks).map((k) => [k, true])));
      const bad = Object.keys(checks).find((name) => errorOf(name));
      if (bad) {
        document.getElementById(`f-${bad}`)?.focus();
        return;
      }
      setBusy(true);
      setFormError('');
      try {
        await action();
      } catch (error) {
        const { field, text } = plain(error);
        if (field && field in initial) {
          setServer((s) => ({ ...s, [field]: text }));
          document.getElementById(`f-${field}`)?.focus();
        } else setFormError(text);
      } finally {
        setBusy(false);
      }
    },
  };
}

/** A labelled input bound to `form.values[name]`, with its hint and its error read out with it. */
export function Field({ form, name, label, hint, type = 'text', ...rest }) {
  const id = `f-${name}`;
  const error = form.error(name);
  const described = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ');
  return html`<div class="field">
    <label for=${id}>${label}</label>
    ${hint ? html`<p class="hint" id=${`${id}-hint`}>${hint}</p>` : null}
    <input
      id=${id}
      name=${name}
      type=${type}
      value=${form.values[name]}
      onInput=${(e) => form.set(name, e.currentTarget.value)}
      aria-invalid=${error ? 'true' : 'false'}
      aria-describedby=${described || undefined}
      ...${rest}
    />
    ${error ? html`<p class="field-error" id=${`${id}-error`}>${error}</p>` : null}
  </div>`;
}

/** Checkboxes for roles bound to `form.values[name]` (an array); `roles` are those offered. */
export function RoleChoice({ form, name = 'roles', legend, roles }) {
  const id = `f-${name}`;
  const error = form.error(name);
  const chosen = form.values[name];
  return html`<fieldset class="field" id=${id} tabindex="-1" aria-describedby=${error ? `${id}-error` : undefined}>
    <legend>${legend}</legend>
    ${roles.map(
      (role) => html`<label class="check">
        <input
          type="checkbox"
          name=${name}
          value=${role.value}
          checked=${chosen.includes(role.value)}
          onChange=${(e) =>
            form.set(name, e.currentTarget.checked ? [...chosen, role.value] : chosen.filter((r) => r !== role.value))}
        />
        <span><strong>${role.label}</strong> <span class="muted">${role.about}</span></span>
      </label>`,
    )}
    ${error ? html`<p class="field-error" id=${`${id}-error`}>${error}</p>` : null}
  </fieldset>`;
}

/** The error of the form as a whole (one that names no field of it). */
export function FormError({ form }) {
  return form.formError ? html`<p class="notice error" role="alert">${form.formError}</p>` : null;
}

/**
 * An in-page modal dialog (the native <dialog>: focus stays inside, Escape closes it).
 * `onClose` is called on Escape and on Cancel.
 */
export function Dialog({ title, onClose, children }) {
  const ref = useRef(null);
  const titleId = useId();
  useEffect(() => {
    const dialog = ref.current;
    // Focus goes back where it was (the button that opened it) when the dialog goes.
    const opener = document.activeElement;
    if (dialog && !dialog.open) dialog.showModal();
    return () => {
      if (dialog?.open) dialog.close();
      if (opener instanceof HTMLElement && opener.isConnected) opener.focus();
    };
  }, []);
  return html`<dialog
    ref=${ref}
    aria-labelledby=${titleId}
    onCancel=${(e) => {
      e.preventDefault();
      onClose();
    }}
  >
    <h2 id=${titleId}>${title}</h2>
    ${children}
  </dialog>`;
}

/** Buttons at the end of a dialog's form: the action and Cancel. */
export function DialogButtons({ form, label, danger, onClose }) {
  return html`<div class="buttons">
    <button type="submit" class=${danger ? 'danger' : ''} disabled=${form?.busy}>${label}</button>
    <button type="button" class="secondary" onClick=${onClose}>Cancel</button>
  </div>`;
}

/**
 * Forward paging: "Next page" after `endCursor`, "Previous page" back along the cursors seen.
 * `page.start` is where the page shown begins; while the next one loads (`busy`) both wait.
 */
export function Pager({ page, busy, onNext, onPrevious, noun }) {
  const start = page.start ?? 0;
  const count = page.nodes.length;
  const { pageInfo, totalCount } = page;
  const end = start + count;
  if (count === 0 && !onPrevious) return null;
  return html`<nav class="pager" aria-label=${`Pages of ${noun}`}>
    <p class="muted">
      ${count === 0 ? `No ${noun}` : `${start + 1}–${end}`}${totalCount == null ? '' : ` of ${totalCount}`}
    </p>
    <div class="buttons">
      <button type="button" class="secondary" disabled=${busy || !onPrevious} onClick=${onPrevious}>Previous page</button>
      <button type="button" class="secondary" disabled=${busy || !pageInfo.hasNextPage} onClick=${onNext}>
        Next page
      </button>
    </div>
  </nav>`;
}

/**
 * A table that, on a narrow screen, turns each row into a card whose cells say their column
 * (`data-label`). `columns` are the header texts; rows give their cells in the same order.
 */
export function Table({ caption, columns, children }) {
  return html`<div class="table-wrap">
    <table class="cards">
      <caption class="visually-hidden">${caption}</caption>
      <thead>
        <tr>
          ${columns.map((c) => html`<th scope="col">${c}</th>`)}
        </tr>
      </thead>
      <tbody>
        ${children}
      </tbody>
    </table>
  </div>`;
}
