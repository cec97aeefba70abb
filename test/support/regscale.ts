/**
 * The 85 field names RegScale's client selects in its GraphQL issue queries
 * (`Issue.build_graphql_fields()` in regscale/models/regscale_models/issue.py:
 * the model's fields less `_exclude_graphql_fields`), in its order. The REST
 * answers carry the same names.
 */
export const regscaleIssueFields =
  `id createdById lastUpdatedById title severityLevel issueOwnerId dueDate uuid dateCreated
  description costEstimate levelOfEffort identification capStatus sourceReport status dateCompleted
  activitiesObserved failuresObserved requirementsViolated safetyImpact securityImpact qualityImpact
  facilityId orgId controlId assessmentId requirementId securityPlanId projectId supplyChainId
  policyId componentId incidentId jiraId serviceNowId wizId burpId defenderId defenderAlertId
  defenderCloudId salesforceId prismaId tenableId tenableNessusId qualysId pluginId cve
  assetIdentifier falsePositive operationalRequirement autoApproved kevList dateFirstDetected changes
  vendorDependency vendorName vendorLastUpdate vendorActions deviationRationale parentId parentModule
  dateLastUpdated securityChecks recommendedActions isPublic dependabotId isPoam originalRiskRating
  adjustedRiskRating bRiskAdjustment basisForAdjustment poamComments otherIdentifier
  integrationFindingId wizCicdScanId wizCicdScanVuln sonarQubeIssueId qualityAssurerId
  remediationDescription manualDetectionSource manualDetectionId vulnerabilityId riskAdjustment
  affectedControls`
    .split(/\s+/)
    .filter(Boolean);
