// Sessions: the signed-in user's own, and (for administrators) any user's, each with an End button.

import { graphql } from './api.js';
import { h, say, show, when } from './dom.js';

function table(caption, sessions, onEnd) {
  if (sessions.length === 0) return h('p', {}, 'No active sessions.');
  return h(
    'table',
    {},
    h('caption', { class: 'visually-hidden' }, caption),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ...['Signed in', 'Last seen', 'Expires', 'From', 'Client', ''].map((t) => h('th', { scope: 'col' }, t)),
      ),
    ),
    h(
      'tbody',
      {},
      ...sessions.map((s) =>
        h(
          'tr',
          { 'data-id': s.id },
          h('td', {}, when(s.createdAt), s.current ? h('small', {}, ' (this session)') : null),
          h('td', {}, when(s.lastSeenAt)),
          h('td', {}, when(s.expiresAt)),
          h('td', {}, s.clientAddress ?? '—'),
          h('td', {}, s.userAgent ?? '—'),
          h(
            'td',
            { class: 'actions' },
            h('button', { type: 'button', class: 'danger', onclick: () => onEnd(s) }, s.current ? 'Sign out' : 'End'),
          ),
        ),
      ),
    ),
  );
}

async function end(session, after) {
  try {
    await graphql('ConsoleRevokeSession', { id: session.id });
    if (session.current) {
      location.hash = '#/sign-in';
      return;
    }
    await after();
    say('The session has ended: its token is refused from now on.');
  } catch (error) {
    say(error.message, true);
  }
}

/** `#/sessions`: own sessions; for administrators also a user's, chosen from the list of users. */
export async function sessionsView(isAdministrator, userId = '') {
  const own = await graphql('ConsoleSessions');
  const parts = [
    h('h3', {}, 'Your sessions'),
    table('Your sessions', own.sessions, (s) => end(s, () => sessionsView(isAdministrator, userId))),
  ];
  if (isAdministrator) {
    const { users } = await graphql('ConsoleUsers');
    const select = h(
      'select',
      { id: 'session-user', onchange: () => void sessionsView(true, select.value) },
      h('option', { value: '' }, 'Choose a user'),
      ...users.map((u) => h('option', { value: u.id, selected: u.id === userId }, u.userName)),
    );
    parts.push(h('h3', {}, 'A user’s sessions'), h('label', { for: 'session-user' }, 'User', select));
    if (userId) {
      const theirs = await graphql('ConsoleUserSessions', { id: userId });
      parts.push(table('The user’s sessions', theirs.userSessions, (s) => end(s, () => sessionsView(true, userId))));
    }
  }
  show('Sessions', ...parts);
}
