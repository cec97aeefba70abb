import { login } from '../sessions/login.ts';
import type { SessionView } from '../sessions/sessions.ts';
import * as sessions from '../sessions/sessions.ts';
import { changePassword } from '../users/authority.ts';
import { builder } from './builder.ts';

const LoginPayload = builder.objectRef<{ token: string; expiresAt: Date; userId: string }>('LoginPayload').implement({
  description: 'A session token and who it is for.',
  fields: (t) => ({
    token: t.exposeString('token', { description: 'Send it as `Authorization: Bearer <token>`.' }),
    expiresAt: t.expose('expiresAt', {
      type: 'DateTime',
      description: 'When the token stops working: login time plus the session timeout.',
    }),
    user: t.prismaField({
      type: 'User',
      description: 'The user, with the roles the token carries.',
      resolve: (query, payload, _args, { db }) =>
        db.user.findUniqueOrThrow({ ...query, where: { id: payload.userId } }),
    }),
  }),
});

builder.mutationField('login', (t) =>
  t.field({
    type: LoginPayload,
    description:
      'Signs in with a user name and password. A wrong user name and a wrong password give the same UNAUTHENTICATED error; repeated failures answer RATE_LIMITED for a while.',
    args: {
      userName: t.arg.string({ required: true, description: 'The user name (any case).' }),
      password: t.arg.string({ required: true, description: 'The password.' }),
    },
    resolve: async (_root, args, ctx) => {
      const result = await login(ctx, args);
      ctx.signedInUserId = result.user.id;
      return { token: result.token, expiresAt: result.expiresAt, userId: result.user.id };
    },
  }),
);

const SessionType = builder.objectRef<SessionView>('Session').implement({
  description: 'A login: one session token. It ends at logout, by revocation, or when the user loses authority.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'The session token’s `jti`.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When the user signed in.' }),
    lastSeenAt: t.expose('lastSeenAt', {
      type: 'DateTime',
      nullable: true,
      description: 'Last request made with it (written every few seconds).',
    }),
    expiresAt: t.expose('expiresAt', { type: 'DateTime', description: 'When the token stops working anyway.' }),
    clientAddress: t.exposeString('clientAddress', { nullable: true, description: 'Address it signed in from.' }),
    userAgent: t.exposeString('userAgent', { nullable: true, description: 'The client program it signed in with.' }),
    current: t.exposeBoolean('current', { description: 'Whether this is the session making the request.' }),
  }),
});

builder.queryFields((t) => ({
  sessions: t.field({
    type: [SessionType],
    description: 'The caller’s own active sessions, newest first. People only (not service-account tokens).',
    authScopes: { can: 'ownSessions' },
    resolve: (_root, _args, ctx) => sessions.listOwnSessions(ctx),
  }),
  userSessions: t.field({
    type: [SessionType],
    description: 'A user’s active sessions, newest first. Administrators (or the user).',
    authScopes: { can: 'ownSessions' },
    args: { userId: t.arg.id({ required: true, description: 'The user id.' }) },
    resolve: (_root, { userId }, ctx) => sessions.listUserSessions(ctx, userId),
  }),
}));

builder.mutationFields((t) => ({
  logout: t.boolean({
    description:
      'Ends the caller’s session: its token is refused from now on, within a second on every instance. A service-account token gets FORBIDDEN (revoke the account instead).',
    authScopes: { can: 'ownSessions' },
    resolve: async (_root, _args, ctx) => {
      await sessions.logout(ctx);
      return true;
    },
  }),
  revokeSession: t.field({
    type: SessionType,
    description: 'Ends one session: the caller’s own, or any for an administrator.',
    authScopes: { can: 'ownSessions' },
    args: { id: t.arg.id({ required: true, description: 'The session id.' }) },
    resolve: (_root, { id }, ctx) => sessions.revokeSession(ctx, id),
  }),
  revokeUserSessions: t.int({
    description: 'Ends every session of a user; answers how many were ended. Administrators only.',
    authScopes: { can: 'manageUsers' },
    args: { userId: t.arg.id({ required: true, description: 'The user id.' }) },
    resolve: (_root, { userId }, ctx) => sessions.revokeUserSessions(ctx, userId),
  }),
  changePassword: t.boolean({
    description:
      'Changes the caller’s own password, given the current one: at least 12 characters, not a common password. The caller’s other sessions end; this one goes on.',
    authScopes: { can: 'ownSessions' },
    args: {
      currentPassword: t.arg.string({ required: true, description: 'The password now.' }),
      newPassword: t.arg.string({ required: true, description: 'The new password.' }),
    },
    resolve: (_root, args, ctx) => changePassword(ctx, args),
  }),
}));
