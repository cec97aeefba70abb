/**
 * The generated client's types and enums, for the rest of the code. Both
 * providers' clients are generated from one model, so their types agree;
 * this is the one module that names a provider's generated folder for them
 * (`client.ts` alone builds the clients themselves).
 */
export type { AuditEvent, Issue, Prisma, ServiceAccount, User } from '../generated/sqlite/client.ts';
export { ActorType, IssueSeverity, IssueStatus, Role } from '../generated/sqlite/enums.ts';
