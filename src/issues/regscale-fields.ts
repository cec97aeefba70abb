import type { Issue } from '../db/types.ts';

/** How a RegScale field is typed, in the database, GraphQL and REST alike. */
export type FieldKind = 'int' | 'string' | 'date' | 'boolean';

/**
 * The fields of RegScale's issue record beyond our core ones, under
 * RegScale's names, each stored in a column of its own. One table, so that
 * the Prisma model, the GraphQL type, the REST JSON, its OpenAPI schema,
 * validation and `where` filters cannot disagree: each of those is built
 * from it (a name that is not a column of `Issue` fails to compile).
 */
export const regscaleFields = {
  costEstimate: 'int',
  levelOfEffort: 'int',
  facilityId: 'int',
  orgId: 'int',
  controlId: 'int',
  assessmentId: 'int',
  requirementId: 'int',
  securityPlanId: 'int',
  projectId: 'int',
  supplyChainId: 'int',
  policyId: 'int',
  componentId: 'int',
  incidentId: 'int',
  parentId: 'int',
  vulnerabilityId: 'int',
  identification: 'string',
  capStatus: 'string',
  sourceReport: 'string',
  activitiesObserved: 'string',
  failuresObserved: 'string',
  requirementsViolated: 'string',
  safetyImpact: 'string',
  securityImpact: 'string',
  qualityImpact: 'string',
  jiraId: 'string',
  serviceNowId: 'string',
  wizId: 'string',
  burpId: 'string',
  defenderId: 'string',
  defenderAlertId: 'string',
  defenderCloudId: 'string',
  salesforceId: 'string',
  prismaId: 'string',
  tenableId: 'string',
  tenableNessusId: 'string',
  qualysId: 'string',
  pluginId: 'string',
  cve: 'string',
  assetIdentifier: 'string',
  falsePositive: 'string',
  operationalRequirement: 'string',
  autoApproved: 'string',
  kevList: 'string',
  changes: 'string',
  vendorDependency: 'string',
  vendorName: 'string',
  vendorActions: 'string',
  deviationRationale: 'string',
  parentModule: 'string',
  securityChecks: 'string',
  recommendedActions: 'string',
  dependabotId: 'string',
  originalRiskRating: 'string',
  adjustedRiskRating: 'string',
  basisForAdjustment: 'string',
  poamComments: 'string',
  otherIdentifier: 'string',
  integrationFindingId: 'string',
  wizCicdScanId: 'string',
  wizCicdScanVuln: 'string',
  sonarQubeIssueId: 'string',
  qualityAssurerId: 'string',
  remediationDescription: 'string',
  manualDetectionSource: 'string',
  manualDetectionId: 'string',
  riskAdjustment: 'string',
  affectedControls: 'string',
  dateFirstDetected: 'date',
  vendorLastUpdate: 'date',
  isPublic: 'boolean',
  isPoam: 'boolean',
  bRiskAdjustment: 'boolean',
} as const satisfies Partial<Record<keyof Issue, FieldKind>>;

export type RegscaleField = keyof typeof regscaleFields;

export const regscaleFieldNames = Object.keys(regscaleFields) as RegscaleField[];

/** Longest text a RegScale string field takes (`cve` is shorter: RegScale's own limit). */
export const maxFieldLength: Partial<Record<RegscaleField, number>> & { default: number } = {
  default: 4000,
  cve: 200,
};
