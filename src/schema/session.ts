import { login } from '../sessions/login.ts';
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
      return { token: result.token, expiresAt: result.expiresAt, userId: result.user.id };
    },
  }),
);
