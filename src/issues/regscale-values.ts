import { IssueSeverity, IssueStatus } from '../db/types.ts';

/**
 * RegScale's spelling of each severity: what REST and the GraphQL fields
 * `severityLevel` answer, because RegScale's client compares these literals.
 */
export const severityLabel: Record<IssueSeverity, string> = {
  [IssueSeverity.CRITICAL]: '0 - Critical - Critical Deficiency',
  [IssueSeverity.HIGH]: 'I - High - Significant Deficiency',
  [IssueSeverity.MODERATE]: 'II - Moderate - Reportable Condition',
  [IssueSeverity.LOW]: 'III - Low - Other Weakness',
  [IssueSeverity.NOT_ASSIGNED]: 'IV - Not Assigned',
};

/** RegScale's spelling of each status (`status` in REST and GraphQL). */
export const statusLabel: Record<IssueStatus, string> = {
  [IssueStatus.DRAFT]: 'Draft',
  [IssueStatus.PENDING_SCREENING]: 'Pending Screening',
  [IssueStatus.OPEN]: 'Open',
  [IssueStatus.PENDING_VERIFICATION]: 'Pending Verification',
  [IssueStatus.CLOSED]: 'Closed',
  [IssueStatus.CANCELLED]: 'Cancelled',
  [IssueStatus.PENDING_DECOMMISSION]: 'Pending Decommission',
  [IssueStatus.SUPPLY_CHAIN_DEPENDENCY]: 'Supply Chain/Procurement Dependency',
  [IssueStatus.VENDOR_DEPENDENCY]: 'Vendor Dependency for Fix',
  [IssueStatus.DELAYED]: 'Delayed',
  [IssueStatus.EXCEPTION_WAIVER]: 'Exception/Waiver',
  [IssueStatus.PENDING_APPROVAL]: 'Pending Approval',
};

const key = (text: string) => text.trim().toLowerCase();

/**
 * Every spelling a severity is accepted in, case-insensitively: our enum
 * name (`HIGH`), RegScale's label, and the short words RegScale's client
 * writes (`Low`, `Medium`, `High`, `Critical`; it sends "IV - Not
 * Assigned" as `Low`).
 */
const severityByText = new Map<string, IssueSeverity>([
  ...Object.values(IssueSeverity).map((s) => [key(s), s] as const),
  ...Object.entries(severityLabel).map(([s, label]) => [key(label), s as IssueSeverity] as const),
  ['critical', IssueSeverity.CRITICAL],
  ['high', IssueSeverity.HIGH],
  ['medium', IssueSeverity.MODERATE],
  ['moderate', IssueSeverity.MODERATE],
  ['low', IssueSeverity.LOW],
  ['not assigned', IssueSeverity.NOT_ASSIGNED],
]);

/** Every spelling a status is accepted in, case-insensitively: the enum name or RegScale's label. */
const statusByText = new Map<string, IssueStatus>([
  ...Object.values(IssueStatus).map((s) => [key(s), s] as const),
  ...Object.entries(statusLabel).map(([s, label]) => [key(label), s as IssueStatus] as const),
]);

export function parseSeverity(text: string): IssueSeverity | undefined {
  return severityByText.get(key(text));
}

export function parseStatus(text: string): IssueStatus | undefined {
  return statusByText.get(key(text));
}
