import { IssueSeverity } from '../db/types.ts';

/** Severity as a number (0 = CRITICAL), stored beside the level so that ordering by severity is index-backed. */
export const severityRank: Record<IssueSeverity, number> = {
  [IssueSeverity.CRITICAL]: 0,
  [IssueSeverity.HIGH]: 1,
  [IssueSeverity.MODERATE]: 2,
  [IssueSeverity.LOW]: 3,
  [IssueSeverity.NOT_ASSIGNED]: 4,
};
