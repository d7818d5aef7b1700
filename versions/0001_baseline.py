"""Baseline: the NivoStack schema exactly as Prisma created it (39 tables).

Production databases made by Prisma are stamped at this revision, not upgraded through it;
a fresh database upgraded to it has no migra difference from one built with Prisma's own
DDL (tests/fixtures/prisma/nivostack_prisma.sql), nor from `nivomigrate.schema.metadata`.
Prisma's conventions kept here: quoted camelCase names, TIMESTAMP(3), JSONB, NULLable
arrays, `@unique` as unique indexes named `<Model>_<columns>_key`, `@@index` as
`<Model>_<columns>_idx`, foreign keys `<Model>_<field>_fkey` with ON UPDATE CASCADE.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = postgresql.TIMESTAMP(precision=3)
JSONB = postgresql.JSONB(astext_type=sa.Text())
NOW = sa.text("CURRENT_TIMESTAMP")
TRUE = sa.text("true")
FALSE = sa.text("false")


def upgrade() -> None:
    """Create the 39 tables of the Prisma schema with their indexes and foreign keys."""
    op.create_table(
        "Plan",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("displayName", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("price", sa.Double(), server_default=sa.text("0"), nullable=False),
        sa.Column("currency", sa.Text(), server_default="USD", nullable=False),
        sa.Column("interval", sa.Text(), server_default="month", nullable=False),
        sa.Column("isActive", sa.Boolean(), server_default=TRUE, nullable=False),
        sa.Column("isPublic", sa.Boolean(), server_default=TRUE, nullable=False),
        sa.Column("maxProjects", sa.Integer(), nullable=True),
        sa.Column("maxDevices", sa.Integer(), nullable=True),
        sa.Column("maxMockEndpoints", sa.Integer(), nullable=True),
        sa.Column("maxApiEndpoints", sa.Integer(), nullable=True),
        sa.Column("maxApiRequests", sa.Integer(), nullable=True),
        sa.Column("maxLogs", sa.Integer(), nullable=True),
        sa.Column("maxSessions", sa.Integer(), nullable=True),
        sa.Column("maxCrashes", sa.Integer(), nullable=True),
        sa.Column("maxBusinessConfigKeys", sa.Integer(), nullable=True),
        sa.Column("maxLocalizationLanguages", sa.Integer(), nullable=True),
        sa.Column("maxLocalizationKeys", sa.Integer(), nullable=True),
        sa.Column("maxTeamMembers", sa.Integer(), nullable=True),
        sa.Column("maxSeats", sa.Integer(), nullable=True),
        sa.Column("retentionDays", sa.Integer(), nullable=True),
        sa.Column("allowApiTracking", sa.Boolean(), server_default=TRUE, nullable=False),
        sa.Column("allowScreenTracking", sa.Boolean(), server_default=TRUE, nullable=False),
        sa.Column("allowCrashReporting", sa.Boolean(), server_default=TRUE, nullable=False),
        sa.Column("allowLogging", sa.Boolean(), server_default=TRUE, nullable=False),
        sa.Column("allowBusinessConfig", sa.Boolean(), server_default=TRUE, nullable=False),
        sa.Column("allowLocalization", sa.Boolean(), server_default=TRUE, nullable=False),
        sa.Column("allowCustomDomains", sa.Boolean(), server_default=FALSE, nullable=False),
        sa.Column("allowWebhooks", sa.Boolean(), server_default=FALSE, nullable=False),
        sa.Column("allowTeamMembers", sa.Boolean(), server_default=FALSE, nullable=False),
        sa.Column("allowPrioritySupport", sa.Boolean(), server_default=FALSE, nullable=False),
        sa.Column("features", JSONB, nullable=True),
        sa.Column("enforcementConfig", JSONB, nullable=True),
        sa.Column("createdAt", TIMESTAMP, server_default=NOW, nullable=False),
        sa.Column("updatedAt", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="Plan_pkey"),
    )
    op.create_index("Plan_isActive_idx", "Plan", ["isActive"])
    op.create_index("Plan_isPublic_idx", "Plan", ["isPublic"])
    op.create_index("Plan_name_key", "Plan", ["name"], unique=True)

    op.create_table(
        "SystemConfiguration",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("category", sa.Text(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("value", sa.Text(), nullable=True),
        sa.Column("encrypted", sa.Boolean(), server_default=FALSE, nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("isActive", sa.Boolean(), server_default=TRUE, nullable=False),
        sa.Column("metadata", JSONB, nullable=True),
        sa.Column("updatedBy", sa.Text(), nullable=True),
        sa.Column("createdAt", TIMESTAMP, server_default=NOW, nullable=False),
        sa.Column("updatedAt", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="SystemConfiguration_pkey"),
    )
    op.create_index("SystemConfiguration_category_idx", "SystemConfiguration", ["category"])
    op.create_index(
        "SystemConfiguration_category_key_idx", "SystemConfiguration", ["category", "key"]
    )
    op.create_index(
        "SystemConfiguration_category_key_key",
        "SystemConfiguration",
        ["category", "key"],
        unique=True,
    )
    op.create_index("SystemConfiguration_isActive_idx", "SystemConfiguration", ["isActive"])

    op.create_table(
        "UploadedFile",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("projectId", sa.Text(), nullable=False),
        sa.Column("filename", sa.Text(), nullable=False),
        sa.Column("storedName", sa.Text(), nullable=False),
        sa.Column("mimeType", sa.Text(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("uploadedBy", sa.Text(), nullable=True),
        sa.Column("createdAt", TIMESTAMP, server_default=NOW, nullable=False),
        sa.PrimaryKeyConstraint("id", name="UploadedFile_pkey"),
    )
    op.create_index("UploadedFile_projectId_idx", "UploadedFile", ["projectId"])

    op.create_table(
        "User",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("email", sa.Text(), nullable=False),
        sa.Column("password", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("isAdmin", sa.Boolean(), server_default=FALSE, nullable=False),
        sa.Column("createdAt", TIMESTAMP, server_default=NOW, nullable=False),
        sa.Column("updatedAt", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="User_pkey"),
    )
    op.create_index("User_email_key", "User", ["email"], unique=True)
    op.create_index("User_isAdmin_idx", "User", ["isAdmin"])

    op.create_table(
        "Project",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("apiKey", sa.Text(), nullable=False),
        sa.Column("userId", sa.Text(), nullable=False),
        sa.Column("createdAt", TIMESTAMP, server_default=NOW, nullable=False),
        sa.Column("updatedAt", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["userId"],
            ["User.id"],
            name="Project_userId_fkey",
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="Project_pkey"),
    )
    op.create_index("Project_apiKey_key", "Project", ["apiKey"], unique=True)
    op.create_index("Project_userId_idx", "Project", ["userId"])

    op.create_table(
        "Subscription",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("userId", sa.Text(), nullable=False),
        sa.Column("planId", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), server_default="active", nullable=False),
        sa.Column("enabled", sa.Boolean(), server_default=TRUE, nullable=False),
        sa.Column("trialStartDate", TIMESTAMP, server_default=NOW, nullable=False),
        sa.Column("trialEndDate", TIMESTAMP, nullable=False),
        sa.Column("currentPeriodStart", TIMESTAMP, server_default=NOW, nullable=False),
        sa.Column("currentPeriodEnd", TIMESTAMP, nullable=False),
        sa.Column("cancelledAt", TIMESTAMP, nullable=True),
        sa.Column("cancelledReason", sa.Text(), nullable=True),
        sa.Column("disabledBy", sa.Text(), nullable=True),
        sa.Column("disabledAt", TIMESTAMP, nullable=True),
        sa.Column("enabledBy", sa.Text(), nullable=True),
        sa.Column("enabledAt", TIMESTAMP, nullable=True),
        sa.Column("quotaMaxProjects", sa.Integer(), nullable=True),
        sa.Column("quotaMaxDevices", sa.Integer(), nullable=True),
        sa.Column("quotaMaxMockEndpoints", sa.Integer(), nullable=True),
        sa.Column("quotaMaxApiEndpoints", sa.Integer(), nullable=True),
        sa.Column("quotaMaxApiRequests", sa.Integer(), nullable=True),
        sa.Column("quotaMaxLogs", sa.Integer(), nullable=True),
        sa.Column("quotaMaxSessions", sa.Integer(), nullable=True),
        sa.Column("quotaMaxCrashes", sa.Integer(), nullable=True),
        sa.Column("quotaMaxBusinessConfigKeys", sa.Integer(), nullable=True),
        sa.Column("quotaMaxLocalizationLanguages", sa.Integer(), nullable=True),
        sa.Column("quotaMaxLocalizationKeys", sa.Integer(), nullable=True),
        sa.Column("createdAt", TIMESTAMP, server_default=NOW, nullable=False),
        sa.Column("updatedAt", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["planId"],
            ["Plan.id"],
            name="Subscription_planId_fkey",
            onupdate="CASCADE",
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["userId"],
            ["User.id"],
            name="Subscription_userId_fkey",
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="Subscription_pkey"),
    )
    op.create_index("Subscription_enabled_idx", "Subscription", ["enabled"])
    op.create_index("Subscription_status_idx", "Subscription", ["status"])
    op.create_index("Subscription_trialEndDate_idx", "Subscription", ["trialEndDate"])
    op.create_index("Subscription_userId_idx", "Subscription", ["userId"])
    op.create_index("Subscription_userId_key", "Subscription", ["userId"], unique=True)

    op.create_table(
        "UserNotification",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("userId", sa.Text(), nullable=False),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("data", JSONB, nullable=True),
        sa.Column("read", sa.Boolean(), server_default=FALSE, nullable=False),
        sa.Column("readAt", TIMESTAMP, nullable=True),
        sa.Column("actionUrl", sa.Text(), nullable=True),
        sa.Column("createdAt", TIMESTAMP, server_default=NOW, nullable=False),
        sa.ForeignKeyConstraint(
            ["userId"],
            ["User.id"],
            name="UserNotification_userId_fkey",
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="UserNotification_pkey"),
    )
    op.create_index("UserNotification_createdAt_idx", "UserNotification", ["createdAt"])
    op.create_index("UserNotification_type_idx", "UserNotification", ["type"])
    op.create_index("UserNotification_userId_idx", "UserNotification", ["userId"])
    op.create_index("UserNotification_userId_read_idx", "UserNotification", ["userId", "read"])

    op.create_table(
        "UserNotificationPreferences",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("userId", sa.Text(), nullable=False),
        sa.Column("emailInvitations", sa.Boolean(), server_default=TRUE, nullable=False),
        sa.Column("emailProjectUpdates", sa.Boolean(), server_default=TRUE, nullable=False),
        sa.Column("emailAlerts", sa.Boolean(), server_default=TRUE, nullable=False),
        sa.Column("emailWeeklyDigest", sa.Boolean(), server_default=FALSE, nullable=False),
        sa.Column("inAppInvitations", sa.Boolean(), server_default=TRUE, nullable=False),
        sa.Column("inAppProjectUpdates", sa.Boolean(), server_default=TRUE, nullable=False),
        sa.Column("inAppAlerts", sa.Boolean(), server_default=TRUE, nullable=False),
        sa.Column("createdAt", TIMESTAMP, server_default=NOW, nullable=False),
        sa.Column("updatedAt", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["userId"],
            ["User.id"],
            name="UserNotificationPreferences_userId_fkey",
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="UserNotificationPreferences_pkey"),
    )
    op.create_index(
        "UserNotificationPreferences_userId_idx", "UserNotificationPreferences", ["userId"]
    )
    op.create_index(
        "UserNotificationPreferences_userId_key",
        "UserNotificationPreferences",
        ["userId"],
        unique=True,
    )

    op.create_table(
        "ApiAlert",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("projectId", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("endpoint", sa.Text(), nullable=True),
        sa.Column("method", sa.Text(), nullable=True),
        sa.Column("isEnabled", sa.Boolean(), server_default=TRUE, nullable=False),
        sa.Column("monitorStandardErrors", sa.Boolean(), server_default=TRUE, nullable=False),
        sa.Column("standardErrorCodes", postgresql.ARRAY(sa.Integer()), nullable=True),
        sa.Column("customStatusCodes", postgresql.ARRAY(sa.Integer()), nullable=True),
        sa.Column("bodyErrorField", sa.Text(), nullable=True),
        sa.Column("bodyErrorValues", postgresql.ARRAY(sa.Text()), nullable=True),
        sa.Column("headerErrorField", sa.Text(), nullable=True),
        sa.Column("headerErrorValues", postgresql.ARRAY(sa.Text()), nullable=True),
        sa.Column("notifyEmail", sa.Boolean(), server_default=TRUE, nullable=False),
        sa.Column("notifyPush", sa.Boolean(), server_default=FALSE, nullable=False),
        sa.Column("notifySms", sa.Boolean(), server_default=FALSE, nullable=False),
        sa.Column("notifyWebhook", sa.Boolean(), server_default=FALSE, nullable=False),
        sa.Column("cooldownMinutes", sa.Integer(), server_default=sa.text("5"), nullable=False),
        sa.Column("createdAt", TIMESTAMP, server_default=NOW, nullable=False),
        sa.Column("updatedAt", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["projectId"],
            ["Project.id"],
            name="ApiAlert_projectId_fkey",
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="ApiAlert_pkey"),
    )
    op.create_index("ApiAlert_endpoint_idx", "ApiAlert", ["endpoint"])
    op.create_index("ApiAlert_projectId_idx", "ApiAlert", ["projectId"])

    op.create_table(
        "ApiConfig",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("projectId", sa.Text(), nullable=False),
        sa.Column("endpoint", sa.Text(), nullable=False),
        sa.Column("method", sa.Text(), nullable=True),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("costPerRequest", sa.Double(), server_default=sa.text("0"), nullable=False),
        sa.Column("isEnabled", sa.Boolean(), server_default=TRUE, nullable=False),
        sa.Column("enableLogs", sa.Boolean(), server_default=TRUE, nullable=False),
        sa.Column("captureRequestBody", sa.Boolean(), server_default=TRUE, nullable=False),
        sa.Column("captureResponseBody", sa.Boolean(), server_default=TRUE, nullable=False),
        sa.Column("metadata", JSONB, nullable=True),
        sa.Column("createdAt", TIMESTAMP, server_default=NOW, nullable=False),
        sa.Column("updatedAt", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["projectId"],
            ["Project.id"],
            name="ApiConfig_projectId_fkey",
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="ApiConfig_pkey"),
    )
    op.create_index(
        "ApiConfig_projectId_endpoint_method_key",
        "ApiConfig",
        ["projectId", "endpoint", "method"],
        unique=True,
    )
    op.create_index("ApiConfig_projectId_idx", "ApiConfig", ["projectId"])
    op.create_index("ApiConfig_projectId_isEnabled_idx", "ApiConfig", ["projectId", "isEnabled"])

    op.create_table(
        "Build",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("projectId", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("mode", sa.Text(), nullable=True),
        sa.Column("isActive", sa.Boolean(), server_default=FALSE, nullable=False),
        sa.Column("createdBy", sa.Text(), nullable=True),
        sa.Column("createdAt", TIMESTAMP, server_default=NOW, nullable=False),
        sa.Column("businessConfigSnapshot", JSONB, nullable=True),
        sa.Column("localizationSnapshot", JSONB, nullable=True),
        sa.Column("configCount", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("translationCount", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.ForeignKeyConstraint(
            ["projectId"],
            ["Project.id"],
            name="Build_projectId_fkey",
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="Build_pkey"),
    )
    op.create_index("Build_createdAt_idx", "Build", ["createdAt"])
    op.create_index("Build_projectId_idx", "Build", ["projectId"])
    op.create_index("Build_projectId_mode_isActive_idx", "Build", ["projectId", "mode", "isActive"])
    op.create_index("Build_projectId_version_key", "Build", ["projectId", "version"], unique=True)

    op.create_table(
        "BusinessConfig",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("projectId", sa.Text(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("label", sa.Text(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("valueType", sa.Text(), nullable=False),
        sa.Column("stringValue", sa.Text(), nullable=True),
        sa.Column("integerValue", sa.Integer(), nullable=True),
        sa.Column("booleanValue", sa.Boolean(), nullable=True),
        sa.Column("decimalValue", sa.Double(), nullable=True),
        sa.Column("jsonValue", JSONB, nullable=True),
        sa.Column("imageUrl", sa.Text(), nullable=True),
        sa.Column("category", sa.Text(), nullable=True),
        sa.Column("isEnabled", sa.Boolean(), server_default=TRUE, nullable=False),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("metadata", JSONB, nullable=True),
        sa.Column("createdAt", TIMESTAMP, server_default=NOW, nullable=False),
        sa.Column("updatedAt", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["projectId"],
            ["Project.id"],
            name="BusinessConfig_projectId_fkey",
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="BusinessConfig_pkey"),
    )
    op.create_index("BusinessConfig_category_idx", "BusinessConfig", ["category"])
    op.create_index("BusinessConfig_isEnabled_idx", "BusinessConfig", ["isEnabled"])
    op.create_index("BusinessConfig_projectId_idx", "BusinessConfig", ["projectId"])
    op.create_index(
        "BusinessConfig_projectId_isEnabled_idx", "BusinessConfig", ["projectId", "isEnabled"]
    )
    op.create_index(
        "BusinessConfig_projectId_key_key", "BusinessConfig", ["projectId", "key"], unique=True
    )

    op.create_table(
        "ConfigCategory",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("projectId", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("label", sa.Text(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("icon", sa.Text(), nullable=True),
        sa.Column("order", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("isEnabled", sa.Boolean(), server_default=TRUE, nullable=False),
        sa.Column("createdAt", TIMESTAMP, server_default=NOW, nullable=False),
        sa.Column("updatedAt", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["projectId"],
            ["Project.id"],
            name="ConfigCategory_projectId_fkey",
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="ConfigCategory_pkey"),
    )
    op.create_index("ConfigCategory_projectId_idx", "ConfigCategory", ["projectId"])
    op.create_index(
        "ConfigCategory_projectId_name_key", "ConfigCategory", ["projectId", "name"], unique=True
    )

    op.create_table(
        "Device",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("projectId", sa.Text(), nullable=True),
        sa.Column("deviceId", sa.Text(), nullable=False),
        sa.Column("platform", sa.Text(), nullable=False),
        sa.Column("osVersion", sa.Text(), nullable=True),
        sa.Column("appVersion", sa.Text(), nullable=True),
        sa.Column("model", sa.Text(), nullable=True),
        sa.Column("manufacturer", sa.Text(), nullable=True),
        sa.Column("metadata", JSONB, nullable=True),
        sa.Column("lastSeenAt", TIMESTAMP, server_default=NOW, nullable=False),
        sa.Column("createdAt", TIMESTAMP, server_default=NOW, nullable=False),
        sa.Column("updatedAt", TIMESTAMP, nullable=False),
        sa.Column("deviceCode", sa.Text(), nullable=True),
        sa.Column("userId", sa.Text(), nullable=True),
        sa.Column("userEmail", sa.Text(), nullable=True),
        sa.Column("userName", sa.Text(), nullable=True),
        sa.Column("debugModeEnabled", sa.Boolean(), server_default=FALSE, nullable=False),
        sa.Column("debugModeEnabledAt", TIMESTAMP, nullable=True),
        sa.Column("debugModeExpiresAt", TIMESTAMP, nullable=True),
        sa.Column("debugModeEnabledBy", sa.Text(), nullable=True),
        sa.Column("status", sa.Text(), server_default="active", nullable=False),
        sa.Column("deletedAt", TIMESTAMP, nullable=True),
        sa.ForeignKeyConstraint(
            ["projectId"],
            ["Project.id"],
            name="Device_projectId_fkey",
            onupdate="CASCADE",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="Device_pkey"),
    )
    op.create_index("Device_deviceCode_idx", "Device", ["deviceCode"])
    op.create_index("Device_deviceCode_key", "Device", ["deviceCode"], unique=True)
    op.create_index(
        "Device_projectId_debugModeEnabled_idx", "Device", ["projectId", "debugModeEnabled"]
    )
    op.create_index("Device_projectId_deviceId_idx", "Device", ["projectId", "deviceId"])
    op.create_index("Device_projectId_idx", "Device", ["projectId"])
    op.create_index("Device_projectId_status_idx", "Device", ["projectId", "status"])
    op.create_index("Device_projectId_userEmail_idx", "Device", ["projectId", "userEmail"])
    op.create_index("Device_projectId_userId_idx", "Device", ["projectId", "userId"])
    op.create_index("Device_status_idx", "Device", ["status"])

    op.create_table(
        "EnforcementState",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("subscriptionId", sa.Text(), nullable=False),
        sa.Column("state", sa.Text(), server_default="ACTIVE", nullable=False),
        sa.Column("warnEnteredAt", TIMESTAMP, nullable=True),
        sa.Column("graceEnteredAt", TIMESTAMP, nullable=True),
        sa.Column("graceEndsAt", TIMESTAMP, nullable=True),
        sa.Column("degradedEnteredAt", TIMESTAMP, nullable=True),
        sa.Column("effectivePolicy", JSONB, nullable=True),
        sa.Column("triggeredMetrics", JSONB, nullable=True),
        sa.Column("lastEvaluatedAt", TIMESTAMP, server_default=NOW, nullable=False),
        sa.Column("nextEvaluationAt", TIMESTAMP, nullable=False),
        sa.Column("createdAt", TIMESTAMP, server_default=NOW, nullable=False),
        sa.Column("updatedAt", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["subscriptionId"],
            ["Subscription.id"],
            name="EnforcementState_subscriptionId_fkey",
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="EnforcementState_pkey"),
    )
    op.create_index("EnforcementState_graceEndsAt_idx", "EnforcementState", ["graceEndsAt"])
    op.create_index(
        "EnforcementState_nextEvaluationAt_idx", "EnforcementState", ["nextEvaluationAt"]
    )
    op.create_index("EnforcementState_state_idx", "EnforcementState", ["state"])
    op.create_index("EnforcementState_subscriptionId_idx", "EnforcementState", ["subscriptionId"])
    op.create_index(
        "EnforcementState_subscriptionId_key", "EnforcementState", ["subscriptionId"], unique=True
    )

    op.create_table(
        "FeatureFlags",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("projectId", sa.Text(), nullable=False),
        sa.Column("sdkEnabled", sa.Boolean(), server_default=TRUE, nullable=False),
        sa.Column("apiTracking", sa.Boolean(), server_default=TRUE, nullable=False),
        sa.Column("screenTracking", sa.Boolean(), server_default=TRUE, nullable=False),
        sa.Column("crashReporting", sa.Boolean(), server_default=TRUE, nullable=False),
        sa.Column("logging", sa.Boolean(), server_default=TRUE, nullable=False),
        sa.Column("deviceTracking", sa.Boolean(), server_default=TRUE, nullable=False),
        sa.Column("sessionTracking", sa.Boolean(), server_default=TRUE, nullable=False),
        sa.Column("businessConfig", sa.Boolean(), server_default=TRUE, nullable=False),
        sa.Column("localization", sa.Boolean(), server_default=TRUE, nullable=False),
        sa.Column("offlineSupport", sa.Boolean(), server_default=FALSE, nullable=False),
        sa.Column("batchEvents", sa.Boolean(), server_default=TRUE, nullable=False),
        sa.Column("createdAt", TIMESTAMP, server_default=NOW, nullable=False),
        sa.Column("updatedAt", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["projectId"],
            ["Project.id"],
            name="FeatureFlags_projectId_fkey",
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="FeatureFlags_pkey"),
    )
    op.create_index("FeatureFlags_projectId_idx", "FeatureFlags", ["projectId"])
    op.create_index("FeatureFlags_projectId_key", "FeatureFlags", ["projectId"], unique=True)

    op.create_table(
        "Invoice",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("subscriptionId", sa.Text(), nullable=False),
        sa.Column("invoiceNumber", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), server_default="draft", nullable=False),
        sa.Column("amount", sa.Double(), nullable=False),
        sa.Column("currency", sa.Text(), server_default="USD", nullable=False),
        sa.Column("periodStart", TIMESTAMP, nullable=False),
        sa.Column("periodEnd", TIMESTAMP, nullable=False),
        sa.Column("dueDate", TIMESTAMP, nullable=False),
        sa.Column("paidAt", TIMESTAMP, nullable=True),
        sa.Column("pdfUrl", sa.Text(), nullable=True),
        sa.Column("lineItems", JSONB, nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("createdAt", TIMESTAMP, server_default=NOW, nullable=False),
        sa.Column("updatedAt", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["subscriptionId"],
            ["Subscription.id"],
            name="Invoice_subscriptionId_fkey",
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="Invoice_pkey"),
    )
    op.create_index("Invoice_invoiceNumber_idx", "Invoice", ["invoiceNumber"])
    op.create_index("Invoice_invoiceNumber_key", "Invoice", ["invoiceNumber"], unique=True)
    op.create_index("Invoice_status_idx", "Invoice", ["status"])
    op.create_index("Invoice_subscriptionId_idx", "Invoice", ["subscriptionId"])

    op.create_table(
        "Language",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("projectId", sa.Text(), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("nativeName", sa.Text(), nullable=True),
        sa.Column("isDefault", sa.Boolean(), server_default=FALSE, nullable=False),
        sa.Column("isEnabled", sa.Boolean(), server_default=TRUE, nullable=False),
        sa.Column("isRTL", sa.Boolean(), server_default=FALSE, nullable=False),
        sa.Column("createdAt", TIMESTAMP, server_default=NOW, nullable=False),
        sa.Column("updatedAt", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["projectId"],
            ["Project.id"],
            name="Language_projectId_fkey",
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="Language_pkey"),
    )
    op.create_index("Language_isDefault_idx", "Language", ["isDefault"])
    op.create_index("Language_projectId_code_key", "Language", ["projectId", "code"], unique=True)
    op.create_index("Language_projectId_idx", "Language", ["projectId"])

    op.create_table(
        "LocalizationKey",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("projectId", sa.Text(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("category", sa.Text(), nullable=True),
        sa.Column("platform", sa.Text(), nullable=True),
        sa.Column("maxLength", sa.Integer(), nullable=True),
        sa.Column("screenshot", sa.Text(), nullable=True),
        sa.Column("createdAt", TIMESTAMP, server_default=NOW, nullable=False),
        sa.Column("updatedAt", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["projectId"],
            ["Project.id"],
            name="LocalizationKey_projectId_fkey",
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="LocalizationKey_pkey"),
    )
    op.create_index("LocalizationKey_category_idx", "LocalizationKey", ["category"])
    op.create_index("LocalizationKey_projectId_idx", "LocalizationKey", ["projectId"])
    op.create_index(
        "LocalizationKey_projectId_key_key", "LocalizationKey", ["projectId", "key"], unique=True
    )

    op.create_table(
        "MockEnvironment",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("projectId", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("basePath", sa.Text(), nullable=True),
        sa.Column("mode", sa.Text(), server_default="selective", nullable=False),
        sa.Column("whitelist", postgresql.ARRAY(sa.Text()), nullable=True),
        sa.Column("blacklist", postgresql.ARRAY(sa.Text()), nullable=True),
        sa.Column("isEnabled", sa.Boolean(), server_default=TRUE, nullable=False),
        sa.Column("isDefault", sa.Boolean(), server_default=FALSE, nullable=False),
        sa.Column("createdBy", sa.Text(), nullable=True),
        sa.Column("createdAt", TIMESTAMP, server_default=NOW, nullable=False),
        sa.Column("updatedAt", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["projectId"],
            ["Project.id"],
            name="MockEnvironment_projectId_fkey",
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="MockEnvironment_pkey"),
    )
    op.create_index("MockEnvironment_projectId_idx", "MockEnvironment", ["projectId"])
    op.create_index(
        "MockEnvironment_projectId_isDefault_idx", "MockEnvironment", ["projectId", "isDefault"]
    )
    op.create_index(
        "MockEnvironment_projectId_isEnabled_idx", "MockEnvironment", ["projectId", "isEnabled"]
    )
    op.create_index(
        "MockEnvironment_projectId_name_key", "MockEnvironment", ["projectId", "name"], unique=True
    )

    op.create_table(
        "NotificationSettings",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("projectId", sa.Text(), nullable=False),
        sa.Column("emailEnabled", sa.Boolean(), server_default=FALSE, nullable=False),
        sa.Column("emailAddresses", postgresql.ARRAY(sa.Text()), nullable=True),
        sa.Column("pushEnabled", sa.Boolean(), server_default=FALSE, nullable=False),
        sa.Column("pushToken", sa.Text(), nullable=True),
        sa.Column("smsEnabled", sa.Boolean(), server_default=FALSE, nullable=False),
        sa.Column("smsNumbers", postgresql.ARRAY(sa.Text()), nullable=True),
        sa.Column("webhookEnabled", sa.Boolean(), server_default=FALSE, nullable=False),
        sa.Column("webhookUrl", sa.Text(), nullable=True),
        sa.Column("webhookSecret", sa.Text(), nullable=True),
        sa.Column("webhookHeaders", JSONB, nullable=True),
        sa.Column("createdAt", TIMESTAMP, server_default=NOW, nullable=False),
        sa.Column("updatedAt", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["projectId"],
            ["Project.id"],
            name="NotificationSettings_projectId_fkey",
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="NotificationSettings_pkey"),
    )
    op.create_index("NotificationSettings_projectId_idx", "NotificationSettings", ["projectId"])
    op.create_index(
        "NotificationSettings_projectId_key", "NotificationSettings", ["projectId"], unique=True
    )

    op.create_table(
        "ProjectInvitation",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("projectId", sa.Text(), nullable=False),
        sa.Column("email", sa.Text(), nullable=False),
        sa.Column("role", sa.Text(), server_default="member", nullable=False),
        sa.Column("token", sa.Text(), nullable=False),
        sa.Column("invitedBy", sa.Text(), nullable=False),
        sa.Column("invitedAt", TIMESTAMP, server_default=NOW, nullable=False),
        sa.Column("expiresAt", TIMESTAMP, nullable=False),
        sa.Column("status", sa.Text(), server_default="pending", nullable=False),
        sa.Column("emailSent", sa.Boolean(), server_default=FALSE, nullable=False),
        sa.Column("emailSentAt", TIMESTAMP, nullable=True),
        sa.Column("emailDelivered", sa.Boolean(), server_default=FALSE, nullable=False),
        sa.Column("emailOpened", sa.Boolean(), server_default=FALSE, nullable=False),
        sa.Column("emailClicked", sa.Boolean(), server_default=FALSE, nullable=False),
        sa.Column("resendCount", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("lastResentAt", TIMESTAMP, nullable=True),
        sa.Column("lastResentBy", sa.Text(), nullable=True),
        sa.Column("acceptedAt", TIMESTAMP, nullable=True),
        sa.Column("acceptedBy", sa.Text(), nullable=True),
        sa.Column("createdAt", TIMESTAMP, server_default=NOW, nullable=False),
        sa.Column("updatedAt", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["invitedBy"],
            ["User.id"],
            name="ProjectInvitation_invitedBy_fkey",
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["projectId"],
            ["Project.id"],
            name="ProjectInvitation_projectId_fkey",
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="ProjectInvitation_pkey"),
    )
    op.create_index("ProjectInvitation_emailSent_idx", "ProjectInvitation", ["emailSent"])
    op.create_index("ProjectInvitation_email_idx", "ProjectInvitation", ["email"])
    op.create_index("ProjectInvitation_expiresAt_idx", "ProjectInvitation", ["expiresAt"])
    op.create_index("ProjectInvitation_projectId_idx", "ProjectInvitation", ["projectId"])
    op.create_index("ProjectInvitation_status_idx", "ProjectInvitation", ["status"])
    op.create_index("ProjectInvitation_token_idx", "ProjectInvitation", ["token"])
    op.create_index("ProjectInvitation_token_key", "ProjectInvitation", ["token"], unique=True)

    op.create_table(
        "ProjectMember",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("projectId", sa.Text(), nullable=False),
        sa.Column("userId", sa.Text(), nullable=False),
        sa.Column("role", sa.Text(), server_default="member", nullable=False),
        sa.Column("invitedBy", sa.Text(), nullable=True),
        sa.Column("invitedAt", TIMESTAMP, server_default=NOW, nullable=False),
        sa.Column("joinedAt", TIMESTAMP, nullable=True),
        sa.Column("createdAt", TIMESTAMP, server_default=NOW, nullable=False),
        sa.Column("updatedAt", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["invitedBy"],
            ["User.id"],
            name="ProjectMember_invitedBy_fkey",
            onupdate="CASCADE",
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["projectId"],
            ["Project.id"],
            name="ProjectMember_projectId_fkey",
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["userId"],
            ["User.id"],
            name="ProjectMember_userId_fkey",
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="ProjectMember_pkey"),
    )
    op.create_index("ProjectMember_projectId_idx", "ProjectMember", ["projectId"])
    op.create_index(
        "ProjectMember_projectId_userId_key", "ProjectMember", ["projectId", "userId"], unique=True
    )
    op.create_index("ProjectMember_role_idx", "ProjectMember", ["role"])
    op.create_index("ProjectMember_userId_idx", "ProjectMember", ["userId"])

    op.create_table(
        "SdkSettings",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("projectId", sa.Text(), nullable=False),
        sa.Column("trackingMode", sa.Text(), server_default="all", nullable=False),
        sa.Column("captureRequestBodies", sa.Boolean(), server_default=TRUE, nullable=False),
        sa.Column("captureResponseBodies", sa.Boolean(), server_default=TRUE, nullable=False),
        sa.Column("capturePrintStatements", sa.Boolean(), server_default=FALSE, nullable=False),
        sa.Column("sanitizeSensitiveData", sa.Boolean(), server_default=TRUE, nullable=False),
        sa.Column("sensitiveFieldPatterns", postgresql.ARRAY(sa.Text()), nullable=True),
        sa.Column("maxLogQueueSize", sa.Integer(), server_default=sa.text("100"), nullable=False),
        sa.Column("maxTraceQueueSize", sa.Integer(), server_default=sa.text("50"), nullable=False),
        sa.Column(
            "flushIntervalSeconds", sa.Integer(), server_default=sa.text("30"), nullable=False
        ),
        sa.Column("enableBatching", sa.Boolean(), server_default=TRUE, nullable=False),
        sa.Column("minLogLevel", sa.Text(), server_default="debug", nullable=False),
        sa.Column("verboseErrors", sa.Boolean(), server_default=FALSE, nullable=False),
        sa.Column("createdAt", TIMESTAMP, server_default=NOW, nullable=False),
        sa.Column("updatedAt", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["projectId"],
            ["Project.id"],
            name="SdkSettings_projectId_fkey",
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="SdkSettings_pkey"),
    )
    op.create_index("SdkSettings_projectId_idx", "SdkSettings", ["projectId"])
    op.create_index("SdkSettings_projectId_key", "SdkSettings", ["projectId"], unique=True)

    op.create_table(
        "BuildChangeLog",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("buildId", sa.Text(), nullable=False),
        sa.Column("featureType", sa.Text(), nullable=False),
        sa.Column("changeType", sa.Text(), nullable=False),
        sa.Column("itemKey", sa.Text(), nullable=False),
        sa.Column("itemLabel", sa.Text(), nullable=True),
        sa.Column("oldValue", JSONB, nullable=True),
        sa.Column("newValue", JSONB, nullable=True),
        sa.Column("changedBy", sa.Text(), nullable=True),
        sa.Column("changedAt", TIMESTAMP, server_default=NOW, nullable=False),
        sa.ForeignKeyConstraint(
            ["buildId"],
            ["Build.id"],
            name="BuildChangeLog_buildId_fkey",
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="BuildChangeLog_pkey"),
    )
    op.create_index("BuildChangeLog_buildId_idx", "BuildChangeLog", ["buildId"])
    op.create_index("BuildChangeLog_changeType_idx", "BuildChangeLog", ["changeType"])
    op.create_index("BuildChangeLog_changedAt_idx", "BuildChangeLog", ["changedAt"])
    op.create_index("BuildChangeLog_featureType_idx", "BuildChangeLog", ["featureType"])

    op.create_table(
        "BuildFeature",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("buildId", sa.Text(), nullable=False),
        sa.Column("featureType", sa.Text(), nullable=False),
        sa.Column("snapshotData", JSONB, nullable=False),
        sa.Column("itemCount", sa.Integer(), nullable=False),
        sa.Column("createdAt", TIMESTAMP, server_default=NOW, nullable=False),
        sa.ForeignKeyConstraint(
            ["buildId"],
            ["Build.id"],
            name="BuildFeature_buildId_fkey",
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="BuildFeature_pkey"),
    )
    op.create_index(
        "BuildFeature_buildId_featureType_key",
        "BuildFeature",
        ["buildId", "featureType"],
        unique=True,
    )
    op.create_index("BuildFeature_buildId_idx", "BuildFeature", ["buildId"])
    op.create_index("BuildFeature_featureType_idx", "BuildFeature", ["featureType"])

    op.create_table(
        "BuildMode",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("projectId", sa.Text(), nullable=False),
        sa.Column("previewBuildId", sa.Text(), nullable=True),
        sa.Column("productionBuildId", sa.Text(), nullable=True),
        sa.Column("updatedAt", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["previewBuildId"],
            ["Build.id"],
            name="BuildMode_previewBuildId_fkey",
            onupdate="CASCADE",
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["productionBuildId"],
            ["Build.id"],
            name="BuildMode_productionBuildId_fkey",
            onupdate="CASCADE",
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["projectId"],
            ["Project.id"],
            name="BuildMode_projectId_fkey",
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="BuildMode_pkey"),
    )
    op.create_index("BuildMode_previewBuildId_key", "BuildMode", ["previewBuildId"], unique=True)
    op.create_index(
        "BuildMode_productionBuildId_key", "BuildMode", ["productionBuildId"], unique=True
    )
    op.create_index("BuildMode_projectId_idx", "BuildMode", ["projectId"])
    op.create_index("BuildMode_projectId_key", "BuildMode", ["projectId"], unique=True)

    op.create_table(
        "ConfigAlert",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("projectId", sa.Text(), nullable=False),
        sa.Column("configId", sa.Text(), nullable=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("condition", sa.Text(), nullable=False),
        sa.Column("threshold", sa.Double(), nullable=False),
        sa.Column("operator", sa.Text(), server_default=">", nullable=False),
        sa.Column("timeWindow", sa.Integer(), server_default=sa.text("60"), nullable=False),
        sa.Column("minOccurrences", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("enabled", sa.Boolean(), server_default=TRUE, nullable=False),
        sa.Column("webhookUrl", sa.Text(), nullable=True),
        sa.Column("emailRecipients", JSONB, nullable=True),
        sa.Column("lastTriggered", TIMESTAMP, nullable=True),
        sa.Column("triggerCount", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("createdAt", TIMESTAMP, server_default=NOW, nullable=False),
        sa.Column("updatedAt", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["configId"],
            ["BusinessConfig.id"],
            name="ConfigAlert_configId_fkey",
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["projectId"],
            ["Project.id"],
            name="ConfigAlert_projectId_fkey",
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="ConfigAlert_pkey"),
    )
    op.create_index("ConfigAlert_configId_idx", "ConfigAlert", ["configId"])
    op.create_index("ConfigAlert_enabled_idx", "ConfigAlert", ["enabled"])
    op.create_index("ConfigAlert_projectId_enabled_idx", "ConfigAlert", ["projectId", "enabled"])
    op.create_index("ConfigAlert_projectId_idx", "ConfigAlert", ["projectId"])

    op.create_table(
        "ConfigApproval",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("projectId", sa.Text(), nullable=False),
        sa.Column("configId", sa.Text(), nullable=False),
        sa.Column("changeType", sa.Text(), nullable=False),
        sa.Column("changeData", JSONB, nullable=False),
        sa.Column("status", sa.Text(), server_default="pending", nullable=False),
        sa.Column("requiredApprovals", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("currentApprovals", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("approvers", JSONB, nullable=False),
        sa.Column("approvals", JSONB, nullable=False),
        sa.Column("requestedBy", sa.Text(), nullable=False),
        sa.Column("requestedAt", TIMESTAMP, server_default=NOW, nullable=False),
        sa.Column("decidedBy", sa.Text(), nullable=True),
        sa.Column("decidedAt", TIMESTAMP, nullable=True),
        sa.Column("decisionComment", sa.Text(), nullable=True),
        sa.Column("createdAt", TIMESTAMP, server_default=NOW, nullable=False),
        sa.Column("updatedAt", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["configId"],
            ["BusinessConfig.id"],
            name="ConfigApproval_configId_fkey",
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["projectId"],
            ["Project.id"],
            name="ConfigApproval_projectId_fkey",
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="ConfigApproval_pkey"),
    )
    op.create_index("ConfigApproval_configId_idx", "ConfigApproval", ["configId"])
    op.create_index("ConfigApproval_projectId_idx", "ConfigApproval", ["projectId"])
    op.create_index(
        "ConfigApproval_projectId_status_idx", "ConfigApproval", ["projectId", "status"]
    )
    op.create_index("ConfigApproval_requestedBy_idx", "ConfigApproval", ["requestedBy"])
    op.create_index("ConfigApproval_status_idx", "ConfigApproval", ["status"])

    op.create_table(
        "Crash",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("projectId", sa.Text(), nullable=False),
        sa.Column("deviceId", sa.Text(), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("stackTrace", sa.Text(), nullable=True),
        sa.Column("metadata", JSONB, nullable=True),
        sa.Column("timestamp", TIMESTAMP, server_default=NOW, nullable=False),
        sa.Column("createdAt", TIMESTAMP, server_default=NOW, nullable=False),
        sa.ForeignKeyConstraint(
            ["deviceId"],
            ["Device.id"],
            name="Crash_deviceId_fkey",
            onupdate="CASCADE",
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["projectId"],
            ["Project.id"],
            name="Crash_projectId_fkey",
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="Crash_pkey"),
    )
    op.create_index("Crash_deviceId_idx", "Crash", ["deviceId"])
    op.create_index("Crash_projectId_idx", "Crash", ["projectId"])
    op.create_index("Crash_timestamp_idx", "Crash", ["timestamp"])

    op.create_table(
        "MockEndpoint",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("environmentId", sa.Text(), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("method", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("isEnabled", sa.Boolean(), server_default=TRUE, nullable=False),
        sa.Column("order", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("createdAt", TIMESTAMP, server_default=NOW, nullable=False),
        sa.Column("updatedAt", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["environmentId"],
            ["MockEnvironment.id"],
            name="MockEndpoint_environmentId_fkey",
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="MockEndpoint_pkey"),
    )
    op.create_index("MockEndpoint_environmentId_idx", "MockEndpoint", ["environmentId"])
    op.create_index(
        "MockEndpoint_environmentId_isEnabled_idx", "MockEndpoint", ["environmentId", "isEnabled"]
    )
    op.create_index(
        "MockEndpoint_environmentId_path_method_idx",
        "MockEndpoint",
        ["environmentId", "path", "method"],
    )
    op.create_index(
        "MockEndpoint_environmentId_path_method_key",
        "MockEndpoint",
        ["environmentId", "path", "method"],
        unique=True,
    )

    op.create_table(
        "MonitoredError",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("alertId", sa.Text(), nullable=False),
        sa.Column("projectId", sa.Text(), nullable=False),
        sa.Column("errorType", sa.Text(), nullable=False),
        sa.Column("errorCode", sa.Text(), nullable=False),
        sa.Column("endpoint", sa.Text(), nullable=False),
        sa.Column("method", sa.Text(), nullable=False),
        sa.Column("statusCode", sa.Integer(), nullable=True),
        sa.Column("requestBody", sa.Text(), nullable=True),
        sa.Column("responseBody", sa.Text(), nullable=True),
        sa.Column("firstOccurrence", TIMESTAMP, server_default=NOW, nullable=False),
        sa.Column("lastOccurrence", TIMESTAMP, server_default=NOW, nullable=False),
        sa.Column("occurrenceCount", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("affectedDevices", postgresql.ARRAY(sa.Text()), nullable=True),
        sa.Column("affectedSessions", postgresql.ARRAY(sa.Text()), nullable=True),
        sa.Column("lastTraceId", sa.Text(), nullable=True),
        sa.Column("lastNotifiedAt", TIMESTAMP, nullable=True),
        sa.Column("notificationCount", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("isResolved", sa.Boolean(), server_default=FALSE, nullable=False),
        sa.Column("resolvedAt", TIMESTAMP, nullable=True),
        sa.Column("resolvedBy", sa.Text(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("createdAt", TIMESTAMP, server_default=NOW, nullable=False),
        sa.Column("updatedAt", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["alertId"],
            ["ApiAlert.id"],
            name="MonitoredError_alertId_fkey",
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="MonitoredError_pkey"),
    )
    op.create_index("MonitoredError_alertId_idx", "MonitoredError", ["alertId"])
    op.create_index("MonitoredError_errorType_idx", "MonitoredError", ["errorType"])
    op.create_index("MonitoredError_firstOccurrence_idx", "MonitoredError", ["firstOccurrence"])
    op.create_index("MonitoredError_isResolved_idx", "MonitoredError", ["isResolved"])
    op.create_index("MonitoredError_projectId_idx", "MonitoredError", ["projectId"])

    op.create_table(
        "Session",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("projectId", sa.Text(), nullable=False),
        sa.Column("deviceId", sa.Text(), nullable=True),
        sa.Column("sessionToken", sa.Text(), nullable=False),
        sa.Column("startedAt", TIMESTAMP, server_default=NOW, nullable=False),
        sa.Column("endedAt", TIMESTAMP, nullable=True),
        sa.Column("isActive", sa.Boolean(), server_default=TRUE, nullable=False),
        sa.Column("appVersion", sa.Text(), nullable=True),
        sa.Column("osVersion", sa.Text(), nullable=True),
        sa.Column("locale", sa.Text(), nullable=True),
        sa.Column("timezone", sa.Text(), nullable=True),
        sa.Column("networkType", sa.Text(), nullable=True),
        sa.Column("screenFlow", postgresql.ARRAY(sa.Text()), nullable=True),
        sa.Column("entryScreen", sa.Text(), nullable=True),
        sa.Column("exitScreen", sa.Text(), nullable=True),
        sa.Column("duration", sa.Integer(), nullable=True),
        sa.Column("screenCount", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("eventCount", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("errorCount", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("metadata", JSONB, nullable=True),
        sa.Column("userProperties", JSONB, nullable=True),
        sa.Column("createdAt", TIMESTAMP, server_default=NOW, nullable=False),
        sa.Column("updatedAt", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["deviceId"],
            ["Device.id"],
            name="Session_deviceId_fkey",
            onupdate="CASCADE",
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["projectId"],
            ["Project.id"],
            name="Session_projectId_fkey",
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="Session_pkey"),
    )
    op.create_index("Session_deviceId_idx", "Session", ["deviceId"])
    op.create_index("Session_isActive_idx", "Session", ["isActive"])
    op.create_index("Session_projectId_idx", "Session", ["projectId"])
    op.create_index("Session_sessionToken_idx", "Session", ["sessionToken"])
    op.create_index("Session_sessionToken_key", "Session", ["sessionToken"], unique=True)
    op.create_index("Session_startedAt_idx", "Session", ["startedAt"])

    op.create_table(
        "Translation",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("projectId", sa.Text(), nullable=False),
        sa.Column("keyId", sa.Text(), nullable=False),
        sa.Column("languageId", sa.Text(), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("isReviewed", sa.Boolean(), server_default=FALSE, nullable=False),
        sa.Column("reviewedBy", sa.Text(), nullable=True),
        sa.Column("reviewedAt", TIMESTAMP, nullable=True),
        sa.Column("createdAt", TIMESTAMP, server_default=NOW, nullable=False),
        sa.Column("updatedAt", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["keyId"],
            ["LocalizationKey.id"],
            name="Translation_keyId_fkey",
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["languageId"],
            ["Language.id"],
            name="Translation_languageId_fkey",
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="Translation_pkey"),
    )
    op.create_index("Translation_keyId_idx", "Translation", ["keyId"])
    op.create_index(
        "Translation_keyId_languageId_key", "Translation", ["keyId", "languageId"], unique=True
    )
    op.create_index("Translation_languageId_idx", "Translation", ["languageId"])
    op.create_index("Translation_projectId_idx", "Translation", ["projectId"])

    op.create_table(
        "ApiTrace",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("projectId", sa.Text(), nullable=False),
        sa.Column("deviceId", sa.Text(), nullable=True),
        sa.Column("sessionId", sa.Text(), nullable=True),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("method", sa.Text(), nullable=False),
        sa.Column("statusCode", sa.Integer(), nullable=True),
        sa.Column("requestHeaders", JSONB, nullable=True),
        sa.Column("requestBody", sa.Text(), nullable=True),
        sa.Column("responseHeaders", JSONB, nullable=True),
        sa.Column("responseBody", sa.Text(), nullable=True),
        sa.Column("duration", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("screenName", sa.Text(), nullable=True),
        sa.Column("networkType", sa.Text(), nullable=True),
        sa.Column("country", sa.Text(), nullable=True),
        sa.Column("carrier", sa.Text(), nullable=True),
        sa.Column("ipAddress", sa.Text(), nullable=True),
        sa.Column("userAgent", sa.Text(), nullable=True),
        sa.Column("cost", sa.Double(), nullable=True),
        sa.Column("timestamp", TIMESTAMP, server_default=NOW, nullable=False),
        sa.Column("createdAt", TIMESTAMP, server_default=NOW, nullable=False),
        sa.ForeignKeyConstraint(
            ["deviceId"],
            ["Device.id"],
            name="ApiTrace_deviceId_fkey",
            onupdate="CASCADE",
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["projectId"],
            ["Project.id"],
            name="ApiTrace_projectId_fkey",
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sessionId"],
            ["Session.id"],
            name="ApiTrace_sessionId_fkey",
            onupdate="CASCADE",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="ApiTrace_pkey"),
    )
    op.create_index("ApiTrace_deviceId_idx", "ApiTrace", ["deviceId"])
    op.create_index("ApiTrace_projectId_idx", "ApiTrace", ["projectId"])
    op.create_index("ApiTrace_screenName_idx", "ApiTrace", ["screenName"])
    op.create_index("ApiTrace_sessionId_idx", "ApiTrace", ["sessionId"])
    op.create_index("ApiTrace_timestamp_idx", "ApiTrace", ["timestamp"])

    op.create_table(
        "ConfigAlertEvent",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("alertId", sa.Text(), nullable=False),
        sa.Column("projectId", sa.Text(), nullable=False),
        sa.Column("configId", sa.Text(), nullable=True),
        sa.Column("severity", sa.Text(), server_default="warning", nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("metadata", JSONB, nullable=True),
        sa.Column("acknowledged", sa.Boolean(), server_default=FALSE, nullable=False),
        sa.Column("acknowledgedBy", sa.Text(), nullable=True),
        sa.Column("acknowledgedAt", TIMESTAMP, nullable=True),
        sa.Column("createdAt", TIMESTAMP, server_default=NOW, nullable=False),
        sa.ForeignKeyConstraint(
            ["alertId"],
            ["ConfigAlert.id"],
            name="ConfigAlertEvent_alertId_fkey",
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="ConfigAlertEvent_pkey"),
    )
    op.create_index("ConfigAlertEvent_acknowledged_idx", "ConfigAlertEvent", ["acknowledged"])
    op.create_index("ConfigAlertEvent_alertId_idx", "ConfigAlertEvent", ["alertId"])
    op.create_index("ConfigAlertEvent_configId_idx", "ConfigAlertEvent", ["configId"])
    op.create_index("ConfigAlertEvent_createdAt_idx", "ConfigAlertEvent", ["createdAt"])
    op.create_index("ConfigAlertEvent_projectId_idx", "ConfigAlertEvent", ["projectId"])

    op.create_table(
        "Log",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("projectId", sa.Text(), nullable=False),
        sa.Column("deviceId", sa.Text(), nullable=True),
        sa.Column("sessionId", sa.Text(), nullable=True),
        sa.Column("level", sa.Text(), server_default="info", nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("tag", sa.Text(), nullable=True),
        sa.Column("data", JSONB, nullable=True),
        sa.Column("fileName", sa.Text(), nullable=True),
        sa.Column("lineNumber", sa.Integer(), nullable=True),
        sa.Column("functionName", sa.Text(), nullable=True),
        sa.Column("className", sa.Text(), nullable=True),
        sa.Column("screenName", sa.Text(), nullable=True),
        sa.Column("threadName", sa.Text(), nullable=True),
        sa.Column("timestamp", TIMESTAMP, server_default=NOW, nullable=False),
        sa.Column("createdAt", TIMESTAMP, server_default=NOW, nullable=False),
        sa.ForeignKeyConstraint(
            ["deviceId"],
            ["Device.id"],
            name="Log_deviceId_fkey",
            onupdate="CASCADE",
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["projectId"],
            ["Project.id"],
            name="Log_projectId_fkey",
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sessionId"],
            ["Session.id"],
            name="Log_sessionId_fkey",
            onupdate="CASCADE",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="Log_pkey"),
    )
    op.create_index("Log_deviceId_idx", "Log", ["deviceId"])
    op.create_index("Log_level_idx", "Log", ["level"])
    op.create_index("Log_projectId_idx", "Log", ["projectId"])
    op.create_index("Log_sessionId_idx", "Log", ["sessionId"])
    op.create_index("Log_tag_idx", "Log", ["tag"])
    op.create_index("Log_timestamp_idx", "Log", ["timestamp"])

    op.create_table(
        "MockResponse",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("endpointId", sa.Text(), nullable=False),
        sa.Column("statusCode", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("responseBody", JSONB, nullable=True),
        sa.Column("responseHeaders", JSONB, nullable=True),
        sa.Column("delay", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("isDefault", sa.Boolean(), server_default=FALSE, nullable=False),
        sa.Column("isEnabled", sa.Boolean(), server_default=TRUE, nullable=False),
        sa.Column("order", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("createdAt", TIMESTAMP, server_default=NOW, nullable=False),
        sa.Column("updatedAt", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["endpointId"],
            ["MockEndpoint.id"],
            name="MockResponse_endpointId_fkey",
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="MockResponse_pkey"),
    )
    op.create_index("MockResponse_endpointId_idx", "MockResponse", ["endpointId"])
    op.create_index(
        "MockResponse_endpointId_isDefault_idx", "MockResponse", ["endpointId", "isDefault"]
    )
    op.create_index(
        "MockResponse_endpointId_isEnabled_order_idx",
        "MockResponse",
        ["endpointId", "isEnabled", "order"],
    )
    op.create_index(
        "MockResponse_endpointId_statusCode_idx", "MockResponse", ["endpointId", "statusCode"]
    )

    op.create_table(
        "MockCondition",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("responseId", sa.Text(), nullable=True),
        sa.Column("endpointId", sa.Text(), nullable=True),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("operator", sa.Text(), nullable=False),
        sa.Column("value", sa.Text(), nullable=True),
        sa.Column("isCaseSensitive", sa.Boolean(), server_default=FALSE, nullable=False),
        sa.Column("order", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("createdAt", TIMESTAMP, server_default=NOW, nullable=False),
        sa.ForeignKeyConstraint(
            ["endpointId"],
            ["MockEndpoint.id"],
            name="MockCondition_endpointId_fkey",
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["responseId"],
            ["MockResponse.id"],
            name="MockCondition_responseId_fkey",
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="MockCondition_pkey"),
    )
    op.create_index("MockCondition_endpointId_idx", "MockCondition", ["endpointId"])
    op.create_index("MockCondition_responseId_idx", "MockCondition", ["responseId"])
    op.create_index("MockCondition_type_idx", "MockCondition", ["type"])


def downgrade() -> None:
    """Drop every table of the baseline (their indexes and foreign keys go with them)."""
    op.drop_table("MockCondition")
    op.drop_table("MockResponse")
    op.drop_table("Log")
    op.drop_table("ConfigAlertEvent")
    op.drop_table("ApiTrace")
    op.drop_table("Translation")
    op.drop_table("Session")
    op.drop_table("MonitoredError")
    op.drop_table("MockEndpoint")
    op.drop_table("Crash")
    op.drop_table("ConfigApproval")
    op.drop_table("ConfigAlert")
    op.drop_table("BuildMode")
    op.drop_table("BuildFeature")
    op.drop_table("BuildChangeLog")
    op.drop_table("SdkSettings")
    op.drop_table("ProjectMember")
    op.drop_table("ProjectInvitation")
    op.drop_table("NotificationSettings")
    op.drop_table("MockEnvironment")
    op.drop_table("LocalizationKey")
    op.drop_table("Language")
    op.drop_table("Invoice")
    op.drop_table("FeatureFlags")
    op.drop_table("EnforcementState")
    op.drop_table("Device")
    op.drop_table("ConfigCategory")
    op.drop_table("BusinessConfig")
    op.drop_table("Build")
    op.drop_table("ApiConfig")
    op.drop_table("ApiAlert")
    op.drop_table("UserNotificationPreferences")
    op.drop_table("UserNotification")
    op.drop_table("Subscription")
    op.drop_table("Project")
    op.drop_table("User")
    op.drop_table("UploadedFile")
    op.drop_table("SystemConfiguration")
    op.drop_table("Plan")
