// The audit trail: filter by actor, action and time, page through it, and export it (the REST
// export, which streams NDJSON). Event details are shown as named values, not JSON.

import { useState } from 'preact/hooks';
import { useAddress, usePages, useSettled } from './accounts.js';
import { download } from './api.js';
import * as data from './data.js';
import { plain } from './errors.js';
import { html, Loading, Notice, Page, Pager, Table, Time, useLoad } from './ui.js';

const words = (key) =>
  key
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .replace(/_/g, ' ')
    .toLowerCase();

function Details({ json }) {
  if (!json) return '—';
  let value;
  try {
    value = JSON.parse(json);
  } catch {
    return html`<code>${json}</code>`;
  }
  if (value === null || typeof value !== 'object') return String(value);
  const entries = Object.entries(value);
  if (entries.length === 0) return '—';
  return html`<dl class="details">
    ${entries.map(
      ([k, v]) =>
        html`<div><dt>${words(k)}</dt><dd>${Array.isArray(v) ? v.join(', ') : v !== null && typeof v === 'object' ? JSON.stringify(v) : String(v)}</dd></div>`,
    )}
  </dl>`;
}

const typeWords = (type) => type.replace(/([a-z])([A-Z])/g, '$1 $2').replace(/^./, (c) => c.toUpperCase());
const target = (e) => (e.targetType ? `${typeWords(e.targetType)}${e.targetId ? ` ${e.targetId}` : ''}` : '—');

export function EventsTable({ events, caption }) {
  if (events.length === 0) return html`<p class="empty" role="status">No events.</p>`;
  return html`<${Table} caption=${caption} columns=${['When', 'Action', 'Actor', 'Target', 'Address', 'Details']}>
    ${events.map(
      (e) => html`<tr>
        <td data-label="When"><${Time} iso=${e.at} /></td>
        <td data-label="Action"><code>${e.action}</code></td>
        <td data-label="Actor">${e.actorLabel ?? words(e.actorType)}</td>
        <td data-label="Target" class="wrap">${target(e)}</td>
        <td data-label="Address">${e.clientAddress ?? '—'}</td>
        <td data-label="Details"><${Details} json=${e.details} /></td>
      </tr>`,
    )}
  <//>`;
}

/** A `datetime-local` value (local time) as an ISO instant, or null. */
const instant = (local) => (local ? new Date(local).toISOString() : null);

export function AuditScreen({ params }) {
  const [actor, setActor] = useState(params.actor ?? '');
  const [action, setAction] = useState(params.action ?? '');
  const [since, setSince] = useState(params.since ?? '');
  const [until, setUntil] = useState(params.until ?? '');
  const [notice, setNotice] = useState(null);
  const settledActor = useSettled(actor);
  const settledAction = useSettled(action);
  const rangeError = since && until && since > until ? 'The end is before the start.' : '';
  const pages = usePages([settledActor, settledAction, since, until]);
  useAddress('#/audit', { actor: settledActor, action: settledAction, since, until });
  const {
    data: page,
    error,
    loading,
  } = useLoad(
    () =>
      rangeError
        ? Promise.resolve(null)
        : data
            .auditEventsPage({
              after: pages.after,
              filter: {
                actor: settledActor.trim(),
                action: settledAction.trim(),
                since: instant(since),
                until: instant(until),
              },
            })
            .then(pages.mark),
    [settledActor, settledAction, since, until, pages.after],
  );
  const exportTrail = async () => {
    setNotice({ text: 'Preparing the export…' });
    try {
      // The export needs a start: without one, from the beginning of time.
      const path = data.auditExportPath({
        since: instant(since) ?? new Date(0).toISOString(),
        until: instant(until),
      });
      const blob = await download(path);
      const link = document.createElement('a');
      link.href = URL.createObjectURL(blob);
      link.download = `audit-${new Date().toISOString().slice(0, 19).replace(/:/g, '')}.ndjson`;
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
      setNotice({ text: 'The export is downloaded: one JSON event a line, oldest first.' });
    } catch (e) {
      setNotice({ text: plain(e).text, error: true });
    }
  };
  return html`<${Page}
    title="Audit"
    actions=${html`<button type="button" class="secondary" onClick=${exportTrail} disabled=${Boolean(rangeError)}>
      Export (NDJSON)
    </button>`}
  >
    <${Notice} notice=${notice} />
    <form class="filters" role="search" aria-label="Audit events" onSubmit=${(e) => e.preventDefault()} novalidate>
      <div class="field grow">
        <label for="au-actor">Actor</label>
        <input id="au-actor" value=${actor} placeholder="User name or id" onInput=${(e) => setActor(e.currentTarget.value)} />
      </div>
      <div class="field grow">
        <label for="au-action">Action</label>
        <input
          id="au-action"
          value=${action}
          placeholder="e.g. auth. or user.created"
          aria-describedby="au-action-hint"
          onInput=${(e) => setAction(e.currentTarget.value)}
        />
        <p class="hint" id="au-action-hint">An exact action, or a prefix ending in a dot.</p>
      </div>
      <div class="field">
        <label for="au-since">From</label>
        <input id="au-since" type="datetime-local" value=${since} onInput=${(e) => setSince(e.currentTarget.value)} />
      </div>
      <div class="field">
        <label for="au-until">To</label>
        <input
          id="au-until"
          type="datetime-local"
          value=${until}
          aria-invalid=${rangeError ? 'true' : 'false'}
          aria-describedby=${rangeError ? 'au-until-error' : undefined}
          onInput=${(e) => setUntil(e.currentTarget.value)}
        />
        ${rangeError ? html`<p class="field-error" id="au-until-error">${rangeError}</p>` : null}
      </div>
    </form>
    ${
      rangeError
        ? null
        : page
          ? html`<${EventsTable} events=${page.nodes} caption="Audit events" />
              <${Pager}
                page=${page}
            busy=${loading}
                noun="events"
                onNext=${() => pages.next(page.pageInfo.endCursor)}
                onPrevious=${pages.previous}
              />`
          : html`<${Loading} error=${error} />`
    }
  <//>`;
}
