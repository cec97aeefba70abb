-- AlterEnum
ALTER TYPE "IssueSeverity" ADD VALUE 'CRITICAL';

-- AlterEnum
-- This migration adds more than one value to an enum.
-- With PostgreSQL versions 11 and earlier, this is not possible
-- in a single migration. This can be worked around by creating
-- multiple migrations, each migration adding only one value to
-- the enum.


ALTER TYPE "IssueStatus" ADD VALUE 'PENDING_SCREENING';
ALTER TYPE "IssueStatus" ADD VALUE 'PENDING_DECOMMISSION';
ALTER TYPE "IssueStatus" ADD VALUE 'SUPPLY_CHAIN_DEPENDENCY';
ALTER TYPE "IssueStatus" ADD VALUE 'VENDOR_DEPENDENCY';
ALTER TYPE "IssueStatus" ADD VALUE 'DELAYED';
ALTER TYPE "IssueStatus" ADD VALUE 'EXCEPTION_WAIVER';
ALTER TYPE "IssueStatus" ADD VALUE 'PENDING_APPROVAL';

-- AlterTable
ALTER TABLE "Issue" ADD COLUMN     "activitiesObserved" TEXT,
ADD COLUMN     "adjustedRiskRating" TEXT,
ADD COLUMN     "affectedControls" TEXT,
ADD COLUMN     "assessmentId" INTEGER,
ADD COLUMN     "assetIdentifier" TEXT,
ADD COLUMN     "autoApproved" TEXT,
ADD COLUMN     "bRiskAdjustment" BOOLEAN,
ADD COLUMN     "basisForAdjustment" TEXT,
ADD COLUMN     "burpId" TEXT,
ADD COLUMN     "capStatus" TEXT,
ADD COLUMN     "changes" TEXT,
ADD COLUMN     "componentId" INTEGER,
ADD COLUMN     "controlId" INTEGER,
ADD COLUMN     "costEstimate" INTEGER,
ADD COLUMN     "cve" TEXT,
ADD COLUMN     "dateFirstDetected" TIMESTAMP(3),
ADD COLUMN     "defenderAlertId" TEXT,
ADD COLUMN     "defenderCloudId" TEXT,
ADD COLUMN     "defenderId" TEXT,
ADD COLUMN     "dependabotId" TEXT,
ADD COLUMN     "deviationRationale" TEXT,
ADD COLUMN     "facilityId" INTEGER,
ADD COLUMN     "failuresObserved" TEXT,
ADD COLUMN     "falsePositive" TEXT,
ADD COLUMN     "identification" TEXT,
ADD COLUMN     "incidentId" INTEGER,
ADD COLUMN     "integrationFindingId" TEXT,
ADD COLUMN     "isPoam" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "isPublic" BOOLEAN NOT NULL DEFAULT true,
ADD COLUMN     "jiraId" TEXT,
ADD COLUMN     "kevList" TEXT,
ADD COLUMN     "levelOfEffort" INTEGER,
ADD COLUMN     "manualDetectionId" TEXT,
ADD COLUMN     "manualDetectionSource" TEXT,
ADD COLUMN     "operationalRequirement" TEXT,
ADD COLUMN     "orgId" INTEGER,
ADD COLUMN     "originalRiskRating" TEXT,
ADD COLUMN     "otherIdentifier" TEXT,
ADD COLUMN     "parentId" INTEGER,
ADD COLUMN     "parentModule" TEXT,
ADD COLUMN     "pluginId" TEXT,
ADD COLUMN     "poamComments" TEXT,
ADD COLUMN     "policyId" INTEGER,
ADD COLUMN     "prismaId" TEXT,
ADD COLUMN     "projectId" INTEGER,
ADD COLUMN     "qualityAssurerId" TEXT,
ADD COLUMN     "qualityImpact" TEXT,
ADD COLUMN     "qualysId" TEXT,
ADD COLUMN     "recommendedActions" TEXT,
ADD COLUMN     "remediationDescription" TEXT,
ADD COLUMN     "requirementId" INTEGER,
ADD COLUMN     "requirementsViolated" TEXT,
ADD COLUMN     "riskAdjustment" TEXT,
ADD COLUMN     "safetyImpact" TEXT,
ADD COLUMN     "salesforceId" TEXT,
ADD COLUMN     "securityChecks" TEXT,
ADD COLUMN     "securityImpact" TEXT,
ADD COLUMN     "securityPlanId" INTEGER,
ADD COLUMN     "serviceNowId" TEXT,
ADD COLUMN     "sonarQubeIssueId" TEXT,
ADD COLUMN     "sourceReport" TEXT,
ADD COLUMN     "supplyChainId" INTEGER,
ADD COLUMN     "tenableId" TEXT,
ADD COLUMN     "tenableNessusId" TEXT,
ADD COLUMN     "vendorActions" TEXT,
ADD COLUMN     "vendorDependency" TEXT,
ADD COLUMN     "vendorLastUpdate" TIMESTAMP(3),
ADD COLUMN     "vendorName" TEXT,
ADD COLUMN     "vulnerabilityId" INTEGER,
ADD COLUMN     "wizCicdScanId" TEXT,
ADD COLUMN     "wizCicdScanVuln" TEXT,
ADD COLUMN     "wizId" TEXT;

-- CreateIndex
CREATE INDEX "Issue_parentId_parentModule_id_idx" ON "Issue"("parentId", "parentModule", "id");

-- CreateIndex
CREATE INDEX "Issue_securityPlanId_id_idx" ON "Issue"("securityPlanId", "id");

-- CreateIndex
CREATE INDEX "Issue_integrationFindingId_idx" ON "Issue"("integrationFindingId");

-- CreateIndex
CREATE INDEX "Issue_otherIdentifier_idx" ON "Issue"("otherIdentifier");
