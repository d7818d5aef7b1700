"""Hot-query indexes: add what NivoStack's required hot queries lack, drop redundant ones.

`nivomigrate coverage` on the baseline found 14 required hot queries (policies/hot_queries.yaml)
with no index whose leading keys are their equality columns followed by their ORDER BY or
range column: the studio lists (newest logs, traces, crashes, sessions, devices of a project)
and the quota counts of every ingest request (rows of a project since the billing period
start). Each added index is `(<equality>, <order or range>)`; a single ORDER BY key needs no
DESC, the index is scanned backward.

It also found 35 indexes that another index makes useless (a left prefix of, or the same
columns as, another index or unique index of the table): 30 in the baseline (Prisma's
`@@index([x])` beside `@unique` or `@@unique([x, ...])`) and 5 made so by the new indexes
(`[projectId]` beside `[projectId, createdAt]` on Log, ApiTrace, Session, Crash,
Translation). Each is written on every insert, on the ingest tables on every SDK request;
dropping them needs no other change, the kept index serves the same lookups and foreign-key
checks.

All statements run CONCURRENTLY outside a transaction (nivomigrate.ops) and are safe to re-run:
an index left invalid by an interrupted build is rebuilt. Downgrade restores the baseline.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from collections.abc import Sequence

from nivomigrate.ops import create_index_concurrently, drop_index_concurrently

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (index, table, key columns), each with the hot queries it serves.
ADDED = [
    # quota_log_count_since
    ("Log_projectId_createdAt_idx", "Log", ["projectId", "createdAt"]),
    # studio_logs_list
    ("Log_projectId_timestamp_idx", "Log", ["projectId", "timestamp"]),
    # quota_api_trace_count_since, quota_api_trace_unique_urls_since
    ("ApiTrace_projectId_createdAt_idx", "ApiTrace", ["projectId", "createdAt"]),
    # studio_traces_list
    ("ApiTrace_projectId_timestamp_idx", "ApiTrace", ["projectId", "timestamp"]),
    # quota_session_count_since
    ("Session_projectId_createdAt_idx", "Session", ["projectId", "createdAt"]),
    # studio_sessions_list
    ("Session_projectId_startedAt_idx", "Session", ["projectId", "startedAt"]),
    # quota_crash_count_since
    ("Crash_projectId_createdAt_idx", "Crash", ["projectId", "createdAt"]),
    # studio_crashes_list
    ("Crash_projectId_timestamp_idx", "Crash", ["projectId", "timestamp"]),
    # quota_device_count_since, studio_devices_created_since_count
    ("Device_projectId_createdAt_idx", "Device", ["projectId", "createdAt"]),
    # studio_devices_list
    ("Device_projectId_lastSeenAt_idx", "Device", ["projectId", "lastSeenAt"]),
    # sdk_init_languages
    ("Language_projectId_isDefault_idx", "Language", ["projectId", "isDefault"]),
    # sdk_init_default_translations
    ("Translation_projectId_languageId_idx", "Translation", ["projectId", "languageId"]),
]

# (index, table, key columns), each with the index that makes it redundant.
DROPPED = [
    # ApiConfig_projectId_endpoint_method_key
    ("ApiConfig_projectId_idx", "ApiConfig", ["projectId"]),
    # ApiTrace_projectId_createdAt_idx
    ("ApiTrace_projectId_idx", "ApiTrace", ["projectId"]),
    # Build_projectId_version_key
    ("Build_projectId_idx", "Build", ["projectId"]),
    # BuildFeature_buildId_featureType_key
    ("BuildFeature_buildId_idx", "BuildFeature", ["buildId"]),
    # BuildMode_projectId_key
    ("BuildMode_projectId_idx", "BuildMode", ["projectId"]),
    # BusinessConfig_projectId_key_key
    ("BusinessConfig_projectId_idx", "BusinessConfig", ["projectId"]),
    # ConfigAlert_projectId_enabled_idx
    ("ConfigAlert_projectId_idx", "ConfigAlert", ["projectId"]),
    # ConfigApproval_projectId_status_idx
    ("ConfigApproval_projectId_idx", "ConfigApproval", ["projectId"]),
    # ConfigCategory_projectId_name_key
    ("ConfigCategory_projectId_idx", "ConfigCategory", ["projectId"]),
    # Crash_projectId_createdAt_idx
    ("Crash_projectId_idx", "Crash", ["projectId"]),
    # Device_deviceCode_key
    ("Device_deviceCode_idx", "Device", ["deviceCode"]),
    # Device_projectId_createdAt_idx
    ("Device_projectId_idx", "Device", ["projectId"]),
    # EnforcementState_subscriptionId_key
    ("EnforcementState_subscriptionId_idx", "EnforcementState", ["subscriptionId"]),
    # FeatureFlags_projectId_key
    ("FeatureFlags_projectId_idx", "FeatureFlags", ["projectId"]),
    # Invoice_invoiceNumber_key
    ("Invoice_invoiceNumber_idx", "Invoice", ["invoiceNumber"]),
    # Language_projectId_code_key
    ("Language_projectId_idx", "Language", ["projectId"]),
    # LocalizationKey_projectId_key_key
    ("LocalizationKey_projectId_idx", "LocalizationKey", ["projectId"]),
    # Log_projectId_createdAt_idx
    ("Log_projectId_idx", "Log", ["projectId"]),
    # MockEndpoint_environmentId_path_method_key
    ("MockEndpoint_environmentId_idx", "MockEndpoint", ["environmentId"]),
    # MockEndpoint_environmentId_path_method_key
    ("MockEndpoint_environmentId_path_method_idx", "MockEndpoint",
     ["environmentId", "path", "method"]),
    # MockEnvironment_projectId_name_key
    ("MockEnvironment_projectId_idx", "MockEnvironment", ["projectId"]),
    # MockResponse_endpointId_isDefault_idx
    ("MockResponse_endpointId_idx", "MockResponse", ["endpointId"]),
    # NotificationSettings_projectId_key
    ("NotificationSettings_projectId_idx", "NotificationSettings", ["projectId"]),
    # ProjectInvitation_token_key
    ("ProjectInvitation_token_idx", "ProjectInvitation", ["token"]),
    # ProjectMember_projectId_userId_key
    ("ProjectMember_projectId_idx", "ProjectMember", ["projectId"]),
    # SdkSettings_projectId_key
    ("SdkSettings_projectId_idx", "SdkSettings", ["projectId"]),
    # Session_projectId_createdAt_idx
    ("Session_projectId_idx", "Session", ["projectId"]),
    # Session_sessionToken_key
    ("Session_sessionToken_idx", "Session", ["sessionToken"]),
    # Subscription_userId_key
    ("Subscription_userId_idx", "Subscription", ["userId"]),
    # SystemConfiguration_category_key_key
    ("SystemConfiguration_category_idx", "SystemConfiguration", ["category"]),
    # SystemConfiguration_category_key_key
    ("SystemConfiguration_category_key_idx", "SystemConfiguration", ["category", "key"]),
    # Translation_keyId_languageId_key
    ("Translation_keyId_idx", "Translation", ["keyId"]),
    # Translation_projectId_languageId_idx
    ("Translation_projectId_idx", "Translation", ["projectId"]),
    # UserNotification_userId_read_idx
    ("UserNotification_userId_idx", "UserNotification", ["userId"]),
    # UserNotificationPreferences_userId_key
    ("UserNotificationPreferences_userId_idx", "UserNotificationPreferences", ["userId"]),
]


def _keys(columns: list[str]) -> list[str]:
    return [f'"{column}"' for column in columns]


def upgrade() -> None:
    """Create the missing hot-query indexes first, then drop the redundant ones."""
    for name, table, columns in ADDED:
        create_index_concurrently(name, table, _keys(columns))
    for name, _, _ in DROPPED:
        drop_index_concurrently(name)


def downgrade() -> None:
    """Recreate the dropped indexes, then drop the added ones (the baseline's indexes)."""
    for name, table, columns in DROPPED:
        create_index_concurrently(name, table, _keys(columns))
    for name, _, _ in ADDED:
        drop_index_concurrently(name)
