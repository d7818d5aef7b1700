"""Tables the studio dashboard owns: users, projects and teams, alerts, billing, uploads,
system settings.

Attribute names are the Prisma field names; `metadata_` is the column "metadata" (see
`nivostack_models.base`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Mapped, mapped_column

from .base import NOW, Base, Json, db_default, index, references, unique_index


class User(Base):
    __tablename__ = "User"
    __table_args__ = (
        unique_index("email"),
        index("isAdmin"),
    )

    id: Mapped[str] = mapped_column(primary_key=True)
    email: Mapped[str]
    password: Mapped[str]
    name: Mapped[str | None]
    isAdmin: Mapped[bool] = mapped_column(server_default=db_default(False))
    createdAt: Mapped[datetime] = mapped_column(server_default=NOW)
    updatedAt: Mapped[datetime]


class Project(Base):
    __tablename__ = "Project"
    __table_args__ = (
        unique_index("apiKey"),
        index("userId"),
    )

    id: Mapped[str] = mapped_column(primary_key=True)
    name: Mapped[str]
    apiKey: Mapped[str]
    userId: Mapped[str] = mapped_column(references("User", on_delete="Cascade"))
    createdAt: Mapped[datetime] = mapped_column(server_default=NOW)
    updatedAt: Mapped[datetime]


class ProjectMember(Base):
    __tablename__ = "ProjectMember"
    __table_args__ = (
        unique_index("projectId", "userId"),
        index("userId"),
        index("role"),
    )

    id: Mapped[str] = mapped_column(primary_key=True)
    projectId: Mapped[str] = mapped_column(references("Project", on_delete="Cascade"))
    userId: Mapped[str] = mapped_column(references("User", on_delete="Cascade"))
    role: Mapped[str] = mapped_column(server_default=db_default("member"))
    invitedBy: Mapped[str | None] = mapped_column(references("User", on_delete="SetNull"))
    invitedAt: Mapped[datetime] = mapped_column(server_default=NOW)
    joinedAt: Mapped[datetime | None]
    createdAt: Mapped[datetime] = mapped_column(server_default=NOW)
    updatedAt: Mapped[datetime]


class ProjectInvitation(Base):
    __tablename__ = "ProjectInvitation"
    __table_args__ = (
        unique_index("token"),
        index("projectId"),
        index("email"),
        index("status"),
        index("expiresAt"),
        index("emailSent"),
    )

    id: Mapped[str] = mapped_column(primary_key=True)
    projectId: Mapped[str] = mapped_column(references("Project", on_delete="Cascade"))
    email: Mapped[str]
    role: Mapped[str] = mapped_column(server_default=db_default("member"))
    token: Mapped[str]
    invitedBy: Mapped[str] = mapped_column(references("User", on_delete="Cascade"))
    invitedAt: Mapped[datetime] = mapped_column(server_default=NOW)
    expiresAt: Mapped[datetime]
    status: Mapped[str] = mapped_column(server_default=db_default("pending"))
    emailSent: Mapped[bool] = mapped_column(server_default=db_default(False))
    emailSentAt: Mapped[datetime | None]
    emailDelivered: Mapped[bool] = mapped_column(server_default=db_default(False))
    emailOpened: Mapped[bool] = mapped_column(server_default=db_default(False))
    emailClicked: Mapped[bool] = mapped_column(server_default=db_default(False))
    resendCount: Mapped[int] = mapped_column(server_default=db_default(0))
    lastResentAt: Mapped[datetime | None]
    lastResentBy: Mapped[str | None]
    acceptedAt: Mapped[datetime | None]
    acceptedBy: Mapped[str | None]
    createdAt: Mapped[datetime] = mapped_column(server_default=NOW)
    updatedAt: Mapped[datetime]


class NotificationSettings(Base):
    __tablename__ = "NotificationSettings"
    __table_args__ = (
        unique_index("projectId"),
    )

    id: Mapped[str] = mapped_column(primary_key=True)
    projectId: Mapped[str] = mapped_column(references("Project", on_delete="Cascade"))
    emailEnabled: Mapped[bool] = mapped_column(server_default=db_default(False))
    emailAddresses: Mapped[list[str] | None]
    pushEnabled: Mapped[bool] = mapped_column(server_default=db_default(False))
    pushToken: Mapped[str | None]
    smsEnabled: Mapped[bool] = mapped_column(server_default=db_default(False))
    smsNumbers: Mapped[list[str] | None]
    webhookEnabled: Mapped[bool] = mapped_column(server_default=db_default(False))
    webhookUrl: Mapped[str | None]
    webhookSecret: Mapped[str | None]
    webhookHeaders: Mapped[Json | None]
    createdAt: Mapped[datetime] = mapped_column(server_default=NOW)
    updatedAt: Mapped[datetime]


class ApiAlert(Base):
    __tablename__ = "ApiAlert"
    __table_args__ = (
        index("projectId"),
        index("endpoint"),
    )

    id: Mapped[str] = mapped_column(primary_key=True)
    projectId: Mapped[str] = mapped_column(references("Project", on_delete="Cascade"))
    title: Mapped[str]
    description: Mapped[str | None]
    endpoint: Mapped[str | None]
    method: Mapped[str | None]
    isEnabled: Mapped[bool] = mapped_column(server_default=db_default(True))
    monitorStandardErrors: Mapped[bool] = mapped_column(server_default=db_default(True))
    standardErrorCodes: Mapped[list[int] | None]
    customStatusCodes: Mapped[list[int] | None]
    bodyErrorField: Mapped[str | None]
    bodyErrorValues: Mapped[list[str] | None]
    headerErrorField: Mapped[str | None]
    headerErrorValues: Mapped[list[str] | None]
    notifyEmail: Mapped[bool] = mapped_column(server_default=db_default(True))
    notifyPush: Mapped[bool] = mapped_column(server_default=db_default(False))
    notifySms: Mapped[bool] = mapped_column(server_default=db_default(False))
    notifyWebhook: Mapped[bool] = mapped_column(server_default=db_default(False))
    cooldownMinutes: Mapped[int] = mapped_column(server_default=db_default(5))
    createdAt: Mapped[datetime] = mapped_column(server_default=NOW)
    updatedAt: Mapped[datetime]


class UserNotification(Base):
    __tablename__ = "UserNotification"
    __table_args__ = (
        index("userId", "read"),
        index("type"),
        index("createdAt"),
    )

    id: Mapped[str] = mapped_column(primary_key=True)
    userId: Mapped[str] = mapped_column(references("User", on_delete="Cascade"))
    type: Mapped[str]
    title: Mapped[str]
    message: Mapped[str]
    data: Mapped[Json | None]
    read: Mapped[bool] = mapped_column(server_default=db_default(False))
    readAt: Mapped[datetime | None]
    actionUrl: Mapped[str | None]
    createdAt: Mapped[datetime] = mapped_column(server_default=NOW)


class UserNotificationPreferences(Base):
    __tablename__ = "UserNotificationPreferences"
    __table_args__ = (
        unique_index("userId"),
    )

    id: Mapped[str] = mapped_column(primary_key=True)
    userId: Mapped[str] = mapped_column(references("User", on_delete="Cascade"))
    emailInvitations: Mapped[bool] = mapped_column(server_default=db_default(True))
    emailProjectUpdates: Mapped[bool] = mapped_column(server_default=db_default(True))
    emailAlerts: Mapped[bool] = mapped_column(server_default=db_default(True))
    emailWeeklyDigest: Mapped[bool] = mapped_column(server_default=db_default(False))
    inAppInvitations: Mapped[bool] = mapped_column(server_default=db_default(True))
    inAppProjectUpdates: Mapped[bool] = mapped_column(server_default=db_default(True))
    inAppAlerts: Mapped[bool] = mapped_column(server_default=db_default(True))
    createdAt: Mapped[datetime] = mapped_column(server_default=NOW)
    updatedAt: Mapped[datetime]


class Plan(Base):
    __tablename__ = "Plan"
    __table_args__ = (
        unique_index("name"),
        index("isActive"),
        index("isPublic"),
    )

    id: Mapped[str] = mapped_column(primary_key=True)
    name: Mapped[str]
    displayName: Mapped[str]
    description: Mapped[str | None]
    price: Mapped[float] = mapped_column(server_default=db_default(0))
    currency: Mapped[str] = mapped_column(server_default=db_default("USD"))
    interval: Mapped[str] = mapped_column(server_default=db_default("month"))
    isActive: Mapped[bool] = mapped_column(server_default=db_default(True))
    isPublic: Mapped[bool] = mapped_column(server_default=db_default(True))
    maxProjects: Mapped[int | None]
    maxDevices: Mapped[int | None]
    maxMockEndpoints: Mapped[int | None]
    maxApiEndpoints: Mapped[int | None]
    maxApiRequests: Mapped[int | None]
    maxLogs: Mapped[int | None]
    maxSessions: Mapped[int | None]
    maxCrashes: Mapped[int | None]
    maxBusinessConfigKeys: Mapped[int | None]
    maxLocalizationLanguages: Mapped[int | None]
    maxLocalizationKeys: Mapped[int | None]
    maxTeamMembers: Mapped[int | None]
    maxSeats: Mapped[int | None]
    retentionDays: Mapped[int | None]
    allowApiTracking: Mapped[bool] = mapped_column(server_default=db_default(True))
    allowScreenTracking: Mapped[bool] = mapped_column(server_default=db_default(True))
    allowCrashReporting: Mapped[bool] = mapped_column(server_default=db_default(True))
    allowLogging: Mapped[bool] = mapped_column(server_default=db_default(True))
    allowBusinessConfig: Mapped[bool] = mapped_column(server_default=db_default(True))
    allowLocalization: Mapped[bool] = mapped_column(server_default=db_default(True))
    allowCustomDomains: Mapped[bool] = mapped_column(server_default=db_default(False))
    allowWebhooks: Mapped[bool] = mapped_column(server_default=db_default(False))
    allowTeamMembers: Mapped[bool] = mapped_column(server_default=db_default(False))
    allowPrioritySupport: Mapped[bool] = mapped_column(server_default=db_default(False))
    features: Mapped[Json | None]
    enforcementConfig: Mapped[Json | None]
    createdAt: Mapped[datetime] = mapped_column(server_default=NOW)
    updatedAt: Mapped[datetime]


class Subscription(Base):
    __tablename__ = "Subscription"
    __table_args__ = (
        unique_index("userId"),
        index("status"),
        index("enabled"),
        index("trialEndDate"),
    )

    id: Mapped[str] = mapped_column(primary_key=True)
    userId: Mapped[str] = mapped_column(references("User", on_delete="Cascade"))
    # The schema gives no onDelete here: Prisma's default for a required relation.
    planId: Mapped[str] = mapped_column(references("Plan", on_delete="Restrict"))
    status: Mapped[str] = mapped_column(server_default=db_default("active"))
    enabled: Mapped[bool] = mapped_column(server_default=db_default(True))
    trialStartDate: Mapped[datetime] = mapped_column(server_default=NOW)
    trialEndDate: Mapped[datetime]
    currentPeriodStart: Mapped[datetime] = mapped_column(server_default=NOW)
    currentPeriodEnd: Mapped[datetime]
    cancelledAt: Mapped[datetime | None]
    cancelledReason: Mapped[str | None]
    disabledBy: Mapped[str | None]
    disabledAt: Mapped[datetime | None]
    enabledBy: Mapped[str | None]
    enabledAt: Mapped[datetime | None]
    quotaMaxProjects: Mapped[int | None]
    quotaMaxDevices: Mapped[int | None]
    quotaMaxMockEndpoints: Mapped[int | None]
    quotaMaxApiEndpoints: Mapped[int | None]
    quotaMaxApiRequests: Mapped[int | None]
    quotaMaxLogs: Mapped[int | None]
    quotaMaxSessions: Mapped[int | None]
    quotaMaxCrashes: Mapped[int | None]
    quotaMaxBusinessConfigKeys: Mapped[int | None]
    quotaMaxLocalizationLanguages: Mapped[int | None]
    quotaMaxLocalizationKeys: Mapped[int | None]
    createdAt: Mapped[datetime] = mapped_column(server_default=NOW)
    updatedAt: Mapped[datetime]


class EnforcementState(Base):
    __tablename__ = "EnforcementState"
    __table_args__ = (
        unique_index("subscriptionId"),
        index("state"),
        index("graceEndsAt"),
        index("nextEvaluationAt"),
    )

    id: Mapped[str] = mapped_column(primary_key=True)
    subscriptionId: Mapped[str] = mapped_column(references("Subscription", on_delete="Cascade"))
    state: Mapped[str] = mapped_column(server_default=db_default("ACTIVE"))
    warnEnteredAt: Mapped[datetime | None]
    graceEnteredAt: Mapped[datetime | None]
    graceEndsAt: Mapped[datetime | None]
    degradedEnteredAt: Mapped[datetime | None]
    effectivePolicy: Mapped[Json | None]
    triggeredMetrics: Mapped[Json | None]
    lastEvaluatedAt: Mapped[datetime] = mapped_column(server_default=NOW)
    nextEvaluationAt: Mapped[datetime]
    createdAt: Mapped[datetime] = mapped_column(server_default=NOW)
    updatedAt: Mapped[datetime]


class Invoice(Base):
    __tablename__ = "Invoice"
    __table_args__ = (
        unique_index("invoiceNumber"),
        index("subscriptionId"),
        index("status"),
    )

    id: Mapped[str] = mapped_column(primary_key=True)
    subscriptionId: Mapped[str] = mapped_column(references("Subscription", on_delete="Cascade"))
    invoiceNumber: Mapped[str]
    status: Mapped[str] = mapped_column(server_default=db_default("draft"))
    amount: Mapped[float]
    currency: Mapped[str] = mapped_column(server_default=db_default("USD"))
    periodStart: Mapped[datetime]
    periodEnd: Mapped[datetime]
    dueDate: Mapped[datetime]
    paidAt: Mapped[datetime | None]
    pdfUrl: Mapped[str | None]
    lineItems: Mapped[Json | None]
    notes: Mapped[str | None]
    createdAt: Mapped[datetime] = mapped_column(server_default=NOW)
    updatedAt: Mapped[datetime]


class UploadedFile(Base):
    """An uploaded file; `projectId` has no foreign key (none in the Prisma schema)."""

    __tablename__ = "UploadedFile"
    __table_args__ = (index("projectId"),)

    id: Mapped[str] = mapped_column(primary_key=True)
    projectId: Mapped[str]
    filename: Mapped[str]
    storedName: Mapped[str]
    mimeType: Mapped[str]
    size: Mapped[int]
    url: Mapped[str]
    uploadedBy: Mapped[str | None]
    createdAt: Mapped[datetime] = mapped_column(server_default=NOW)


class SystemConfiguration(Base):
    """Admin-managed settings; studio's admin pages are its only users (policies/services.yaml)."""

    __tablename__ = "SystemConfiguration"
    __table_args__ = (
        unique_index("category", "key"),
        index("isActive"),
    )

    id: Mapped[str] = mapped_column(primary_key=True)
    category: Mapped[str]
    key: Mapped[str]
    value: Mapped[str | None]
    encrypted: Mapped[bool] = mapped_column(server_default=db_default(False))
    description: Mapped[str | None]
    isActive: Mapped[bool] = mapped_column(server_default=db_default(True))
    metadata_: Mapped[Json | None] = mapped_column("metadata")
    updatedBy: Mapped[str | None]
    createdAt: Mapped[datetime] = mapped_column(server_default=NOW)
    updatedAt: Mapped[datetime]
