import type { ServiceContext } from '../context.ts';
import { actorOf } from './writer.ts';

/**
 * Audits a refusal of a rule (403) to a known caller, batched so that a
 * flood costs no write per request: one event per caller and place per
 * flush, with the count. `where` names the place (`graphql:createIssue`,
 * `GET /api/issues/getAll`).
 */
export function auditForbidden(ctx: ServiceContext, where: string, message: string): void {
  const actor = actorOf(ctx.principal);
  ctx.auth.audits.add(
    `auth.forbidden\u0000${ctx.principal?.tokenId ?? ctx.clientIp}\u0000${where}`,
    {
      action: 'auth.forbidden',
      actor,
      details: { where, message, ...(ctx.principal ? { tokenId: ctx.principal.tokenId } : {}) },
      clientIp: ctx.clientIp,
      requestId: ctx.requestId,
    },
    ctx.auth.now(),
  );
}
