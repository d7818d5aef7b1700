"""Tables the control API serves to the SDK and the dashboard edits: configuration, feature
flags, localization, builds, mock servers, config alerts and approvals.

Attribute names are the Prisma field names; `metadata_` is the column "metadata" (see
`nivostack_models.base`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Mapped, mapped_column

from .base import NOW, Base, Json, db_default, index, references, unique_index


class ApiConfig(Base):
    __tablename__ = "ApiConfig"
    __table_args__ = (
        unique_index("projectId", "endpoint", "method"),
        index("projectId", "isEnabled"),
    )

    id: Mapped[str] = mapped_column(primary_key=True)
    projectId: Mapped[str] = mapped_column(references("Project", on_delete="Cascade"))
    endpoint: Mapped[str]
    method: Mapped[str | None]
    name: Mapped[str | None]
    description: Mapped[str | None]
    costPerRequest: Mapped[float] = mapped_column(server_default=db_default(0))
    isEnabled: Mapped[bool] = mapped_column(server_default=db_default(True))
    enableLogs: Mapped[bool] = mapped_column(server_default=db_default(True))
    captureRequestBody: Mapped[bool] = mapped_column(server_default=db_default(True))
    captureResponseBody: Mapped[bool] = mapped_column(server_default=db_default(True))
    metadata_: Mapped[Json | None] = mapped_column("metadata")
    createdAt: Mapped[datetime] = mapped_column(server_default=NOW)
    updatedAt: Mapped[datetime]


class BusinessConfig(Base):
    __tablename__ = "BusinessConfig"
    __table_args__ = (
        unique_index("projectId", "key"),
        index("category"),
        index("isEnabled"),
        index("projectId", "isEnabled"),
    )

    id: Mapped[str] = mapped_column(primary_key=True)
    projectId: Mapped[str] = mapped_column(references("Project", on_delete="Cascade"))
    key: Mapped[str]
    label: Mapped[str | None]
    description: Mapped[str | None]
    valueType: Mapped[str]
    stringValue: Mapped[str | None]
    integerValue: Mapped[int | None]
    booleanValue: Mapped[bool | None]
    decimalValue: Mapped[float | None]
    jsonValue: Mapped[Json | None]
    imageUrl: Mapped[str | None]
    category: Mapped[str | None]
    isEnabled: Mapped[bool] = mapped_column(server_default=db_default(True))
    version: Mapped[int] = mapped_column(server_default=db_default(1))
    metadata_: Mapped[Json | None] = mapped_column("metadata")
    createdAt: Mapped[datetime] = mapped_column(server_default=NOW)
    updatedAt: Mapped[datetime]


class ConfigCategory(Base):
    __tablename__ = "ConfigCategory"
    __table_args__ = (
        unique_index("projectId", "name"),
    )

    id: Mapped[str] = mapped_column(primary_key=True)
    projectId: Mapped[str] = mapped_column(references("Project", on_delete="Cascade"))
    name: Mapped[str]
    label: Mapped[str | None]
    description: Mapped[str | None]
    icon: Mapped[str | None]
    order: Mapped[int] = mapped_column(server_default=db_default(0))
    isEnabled: Mapped[bool] = mapped_column(server_default=db_default(True))
    createdAt: Mapped[datetime] = mapped_column(server_default=NOW)
    updatedAt: Mapped[datetime]


class FeatureFlags(Base):
    __tablename__ = "FeatureFlags"
    __table_args__ = (
        unique_index("projectId"),
    )

    id: Mapped[str] = mapped_column(primary_key=True)
    projectId: Mapped[str] = mapped_column(references("Project", on_delete="Cascade"))
    sdkEnabled: Mapped[bool] = mapped_column(server_default=db_default(True))
    apiTracking: Mapped[bool] = mapped_column(server_default=db_default(True))
    screenTracking: Mapped[bool] = mapped_column(server_default=db_default(True))
    crashReporting: Mapped[bool] = mapped_column(server_default=db_default(True))
    logging: Mapped[bool] = mapped_column(server_default=db_default(True))
    deviceTracking: Mapped[bool] = mapped_column(server_default=db_default(True))
    sessionTracking: Mapped[bool] = mapped_column(server_default=db_default(True))
    businessConfig: Mapped[bool] = mapped_column(server_default=db_default(True))
    localization: Mapped[bool] = mapped_column(server_default=db_default(True))
    offlineSupport: Mapped[bool] = mapped_column(server_default=db_default(False))
    batchEvents: Mapped[bool] = mapped_column(server_default=db_default(True))
    createdAt: Mapped[datetime] = mapped_column(server_default=NOW)
    updatedAt: Mapped[datetime]


class SdkSettings(Base):
    __tablename__ = "SdkSettings"
    __table_args__ = (
        unique_index("projectId"),
    )

    id: Mapped[str] = mapped_column(primary_key=True)
    projectId: Mapped[str] = mapped_column(references("Project", on_delete="Cascade"))
    trackingMode: Mapped[str] = mapped_column(server_default=db_default("all"))
    captureRequestBodies: Mapped[bool] = mapped_column(server_default=db_default(True))
    captureResponseBodies: Mapped[bool] = mapped_column(server_default=db_default(True))
    capturePrintStatements: Mapped[bool] = mapped_column(server_default=db_default(False))
    sanitizeSensitiveData: Mapped[bool] = mapped_column(server_default=db_default(True))
    sensitiveFieldPatterns: Mapped[list[str] | None]
    maxLogQueueSize: Mapped[int] = mapped_column(server_default=db_default(100))
    maxTraceQueueSize: Mapped[int] = mapped_column(server_default=db_default(50))
    flushIntervalSeconds: Mapped[int] = mapped_column(server_default=db_default(30))
    enableBatching: Mapped[bool] = mapped_column(server_default=db_default(True))
    minLogLevel: Mapped[str] = mapped_column(server_default=db_default("debug"))
    verboseErrors: Mapped[bool] = mapped_column(server_default=db_default(False))
    createdAt: Mapped[datetime] = mapped_column(server_default=NOW)
    updatedAt: Mapped[datetime]


class Language(Base):
    __tablename__ = "Language"
    __table_args__ = (
        unique_index("projectId", "code"),
        index("isDefault"),
        index("projectId", "isDefault"),
    )

    id: Mapped[str] = mapped_column(primary_key=True)
    projectId: Mapped[str] = mapped_column(references("Project", on_delete="Cascade"))
    code: Mapped[str]
    name: Mapped[str]
    nativeName: Mapped[str | None]
    isDefault: Mapped[bool] = mapped_column(server_default=db_default(False))
    isEnabled: Mapped[bool] = mapped_column(server_default=db_default(True))
    isRTL: Mapped[bool] = mapped_column(server_default=db_default(False))
    createdAt: Mapped[datetime] = mapped_column(server_default=NOW)
    updatedAt: Mapped[datetime]


class LocalizationKey(Base):
    __tablename__ = "LocalizationKey"
    __table_args__ = (
        unique_index("projectId", "key"),
        index("category"),
    )

    id: Mapped[str] = mapped_column(primary_key=True)
    projectId: Mapped[str] = mapped_column(references("Project", on_delete="Cascade"))
    key: Mapped[str]
    description: Mapped[str | None]
    category: Mapped[str | None]
    platform: Mapped[str | None]
    maxLength: Mapped[int | None]
    screenshot: Mapped[str | None]
    createdAt: Mapped[datetime] = mapped_column(server_default=NOW)
    updatedAt: Mapped[datetime]


class Translation(Base):
    """A translated value; `projectId` has no foreign key (none in the Prisma schema)."""

    __tablename__ = "Translation"
    __table_args__ = (
        unique_index("keyId", "languageId"),
        index("languageId"),
        index("projectId", "languageId"),
    )

    id: Mapped[str] = mapped_column(primary_key=True)
    projectId: Mapped[str]
    keyId: Mapped[str] = mapped_column(references("LocalizationKey", on_delete="Cascade"))
    languageId: Mapped[str] = mapped_column(references("Language", on_delete="Cascade"))
    value: Mapped[str]
    isReviewed: Mapped[bool] = mapped_column(server_default=db_default(False))
    reviewedBy: Mapped[str | None]
    reviewedAt: Mapped[datetime | None]
    createdAt: Mapped[datetime] = mapped_column(server_default=NOW)
    updatedAt: Mapped[datetime]


class Build(Base):
    __tablename__ = "Build"
    __table_args__ = (
        unique_index("projectId", "version"),
        index("projectId", "mode", "isActive"),
        index("createdAt"),
    )

    id: Mapped[str] = mapped_column(primary_key=True)
    projectId: Mapped[str] = mapped_column(references("Project", on_delete="Cascade"))
    version: Mapped[int]
    name: Mapped[str | None]
    description: Mapped[str | None]
    mode: Mapped[str | None]
    isActive: Mapped[bool] = mapped_column(server_default=db_default(False))
    createdBy: Mapped[str | None]
    createdAt: Mapped[datetime] = mapped_column(server_default=NOW)
    businessConfigSnapshot: Mapped[Json | None]
    localizationSnapshot: Mapped[Json | None]
    configCount: Mapped[int] = mapped_column(server_default=db_default(0))
    translationCount: Mapped[int] = mapped_column(server_default=db_default(0))


class BuildFeature(Base):
    __tablename__ = "BuildFeature"
    __table_args__ = (
        unique_index("buildId", "featureType"),
        index("featureType"),
    )

    id: Mapped[str] = mapped_column(primary_key=True)
    buildId: Mapped[str] = mapped_column(references("Build", on_delete="Cascade"))
    featureType: Mapped[str]
    snapshotData: Mapped[Json]
    itemCount: Mapped[int]
    createdAt: Mapped[datetime] = mapped_column(server_default=NOW)


class BuildMode(Base):
    __tablename__ = "BuildMode"
    __table_args__ = (
        unique_index("projectId"),
        unique_index("previewBuildId"),
        unique_index("productionBuildId"),
    )

    id: Mapped[str] = mapped_column(primary_key=True)
    projectId: Mapped[str] = mapped_column(references("Project", on_delete="Cascade"))
    previewBuildId: Mapped[str | None] = mapped_column(references("Build", on_delete="SetNull"))
    productionBuildId: Mapped[str | None] = mapped_column(references("Build", on_delete="SetNull"))
    updatedAt: Mapped[datetime]


class BuildChangeLog(Base):
    __tablename__ = "BuildChangeLog"
    __table_args__ = (
        index("buildId"),
        index("featureType"),
        index("changeType"),
        index("changedAt"),
    )

    id: Mapped[str] = mapped_column(primary_key=True)
    buildId: Mapped[str] = mapped_column(references("Build", on_delete="Cascade"))
    featureType: Mapped[str]
    changeType: Mapped[str]
    itemKey: Mapped[str]
    itemLabel: Mapped[str | None]
    oldValue: Mapped[Json | None]
    newValue: Mapped[Json | None]
    changedBy: Mapped[str | None]
    changedAt: Mapped[datetime] = mapped_column(server_default=NOW)


class MockEnvironment(Base):
    __tablename__ = "MockEnvironment"
    __table_args__ = (
        unique_index("projectId", "name"),
        index("projectId", "isEnabled"),
        index("projectId", "isDefault"),
    )

    id: Mapped[str] = mapped_column(primary_key=True)
    projectId: Mapped[str] = mapped_column(references("Project", on_delete="Cascade"))
    name: Mapped[str]
    description: Mapped[str | None]
    basePath: Mapped[str | None]
    mode: Mapped[str] = mapped_column(server_default=db_default("selective"))
    whitelist: Mapped[list[str] | None]
    blacklist: Mapped[list[str] | None]
    isEnabled: Mapped[bool] = mapped_column(server_default=db_default(True))
    isDefault: Mapped[bool] = mapped_column(server_default=db_default(False))
    createdBy: Mapped[str | None]
    createdAt: Mapped[datetime] = mapped_column(server_default=NOW)
    updatedAt: Mapped[datetime]


class MockEndpoint(Base):
    __tablename__ = "MockEndpoint"
    __table_args__ = (
        unique_index("environmentId", "path", "method"),
        index("environmentId", "isEnabled"),
    )

    id: Mapped[str] = mapped_column(primary_key=True)
    environmentId: Mapped[str] = mapped_column(references("MockEnvironment", on_delete="Cascade"))
    path: Mapped[str]
    method: Mapped[str]
    description: Mapped[str | None]
    isEnabled: Mapped[bool] = mapped_column(server_default=db_default(True))
    order: Mapped[int] = mapped_column(server_default=db_default(0))
    createdAt: Mapped[datetime] = mapped_column(server_default=NOW)
    updatedAt: Mapped[datetime]


class MockResponse(Base):
    __tablename__ = "MockResponse"
    __table_args__ = (
        index("endpointId", "statusCode"),
        index("endpointId", "isDefault"),
        index("endpointId", "isEnabled", "order"),
    )

    id: Mapped[str] = mapped_column(primary_key=True)
    endpointId: Mapped[str] = mapped_column(references("MockEndpoint", on_delete="Cascade"))
    statusCode: Mapped[int]
    name: Mapped[str | None]
    description: Mapped[str | None]
    responseBody: Mapped[Json | None]
    responseHeaders: Mapped[Json | None]
    delay: Mapped[int] = mapped_column(server_default=db_default(0))
    isDefault: Mapped[bool] = mapped_column(server_default=db_default(False))
    isEnabled: Mapped[bool] = mapped_column(server_default=db_default(True))
    order: Mapped[int] = mapped_column(server_default=db_default(0))
    createdAt: Mapped[datetime] = mapped_column(server_default=NOW)
    updatedAt: Mapped[datetime]


class MockCondition(Base):
    __tablename__ = "MockCondition"
    __table_args__ = (
        index("responseId"),
        index("endpointId"),
        index("type"),
    )

    id: Mapped[str] = mapped_column(primary_key=True)
    responseId: Mapped[str | None] = mapped_column(references("MockResponse", on_delete="Cascade"))
    endpointId: Mapped[str | None] = mapped_column(references("MockEndpoint", on_delete="Cascade"))
    type: Mapped[str]
    key: Mapped[str]
    operator: Mapped[str]
    value: Mapped[str | None]
    isCaseSensitive: Mapped[bool] = mapped_column(server_default=db_default(False))
    order: Mapped[int] = mapped_column(server_default=db_default(0))
    createdAt: Mapped[datetime] = mapped_column(server_default=NOW)


class ConfigAlert(Base):
    __tablename__ = "ConfigAlert"
    __table_args__ = (
        index("configId"),
        index("enabled"),
        index("projectId", "enabled"),
    )

    id: Mapped[str] = mapped_column(primary_key=True)
    projectId: Mapped[str] = mapped_column(references("Project", on_delete="Cascade"))
    configId: Mapped[str | None] = mapped_column(references("BusinessConfig", on_delete="Cascade"))
    name: Mapped[str]
    description: Mapped[str | None]
    condition: Mapped[str]
    threshold: Mapped[float]
    operator: Mapped[str] = mapped_column(server_default=db_default(">"))
    timeWindow: Mapped[int] = mapped_column(server_default=db_default(60))
    minOccurrences: Mapped[int] = mapped_column(server_default=db_default(1))
    enabled: Mapped[bool] = mapped_column(server_default=db_default(True))
    webhookUrl: Mapped[str | None]
    emailRecipients: Mapped[Json | None]
    lastTriggered: Mapped[datetime | None]
    triggerCount: Mapped[int] = mapped_column(server_default=db_default(0))
    createdAt: Mapped[datetime] = mapped_column(server_default=NOW)
    updatedAt: Mapped[datetime]


class ConfigAlertEvent(Base):
    __tablename__ = "ConfigAlertEvent"
    __table_args__ = (
        index("alertId"),
        index("projectId"),
        index("configId"),
        index("acknowledged"),
        index("createdAt"),
    )

    id: Mapped[str] = mapped_column(primary_key=True)
    alertId: Mapped[str] = mapped_column(references("ConfigAlert", on_delete="Cascade"))
    projectId: Mapped[str]
    configId: Mapped[str | None]
    severity: Mapped[str] = mapped_column(server_default=db_default("warning"))
    message: Mapped[str]
    metadata_: Mapped[Json | None] = mapped_column("metadata")
    acknowledged: Mapped[bool] = mapped_column(server_default=db_default(False))
    acknowledgedBy: Mapped[str | None]
    acknowledgedAt: Mapped[datetime | None]
    createdAt: Mapped[datetime] = mapped_column(server_default=NOW)


class ConfigApproval(Base):
    __tablename__ = "ConfigApproval"
    __table_args__ = (
        index("configId"),
        index("status"),
        index("projectId", "status"),
        index("requestedBy"),
    )

    id: Mapped[str] = mapped_column(primary_key=True)
    projectId: Mapped[str] = mapped_column(references("Project", on_delete="Cascade"))
    configId: Mapped[str] = mapped_column(references("BusinessConfig", on_delete="Cascade"))
    changeType: Mapped[str]
    changeData: Mapped[Json]
    status: Mapped[str] = mapped_column(server_default=db_default("pending"))
    requiredApprovals: Mapped[int] = mapped_column(server_default=db_default(1))
    currentApprovals: Mapped[int] = mapped_column(server_default=db_default(0))
    approvers: Mapped[Json]
    approvals: Mapped[Json]
    requestedBy: Mapped[str]
    requestedAt: Mapped[datetime] = mapped_column(server_default=NOW)
    decidedBy: Mapped[str | None]
    decidedAt: Mapped[datetime | None]
    decisionComment: Mapped[str | None]
    createdAt: Mapped[datetime] = mapped_column(server_default=NOW)
    updatedAt: Mapped[datetime]
