"""Tables the SDK writes through the ingest API: devices, sessions, logs, crashes, traces.

Attribute names are the Prisma field names; `metadata_` is the column "metadata" (the
name `metadata` is taken by SQLAlchemy's declarative base).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Mapped, mapped_column

from .base import NOW, Base, Json, db_default, index, references, unique_index


class Device(Base):
    __tablename__ = "Device"
    __table_args__ = (
        unique_index("deviceCode"),
        index("projectId", "deviceId"),
        index("projectId", "userId"),
        index("projectId", "userEmail"),
        index("projectId", "debugModeEnabled"),
        index("status"),
        index("projectId", "status"),
        index("projectId", "createdAt"),
        index("projectId", "lastSeenAt"),
    )

    id: Mapped[str] = mapped_column(primary_key=True)
    projectId: Mapped[str | None] = mapped_column(references("Project", on_delete="SetNull"))
    deviceId: Mapped[str]
    platform: Mapped[str]
    osVersion: Mapped[str | None]
    appVersion: Mapped[str | None]
    model: Mapped[str | None]
    manufacturer: Mapped[str | None]
    metadata_: Mapped[Json | None] = mapped_column("metadata")
    lastSeenAt: Mapped[datetime] = mapped_column(server_default=NOW)
    createdAt: Mapped[datetime] = mapped_column(server_default=NOW)
    updatedAt: Mapped[datetime]
    deviceCode: Mapped[str | None]
    userId: Mapped[str | None]
    userEmail: Mapped[str | None]
    userName: Mapped[str | None]
    debugModeEnabled: Mapped[bool] = mapped_column(server_default=db_default(False))
    debugModeEnabledAt: Mapped[datetime | None]
    debugModeExpiresAt: Mapped[datetime | None]
    debugModeEnabledBy: Mapped[str | None]
    status: Mapped[str] = mapped_column(server_default=db_default("active"))
    deletedAt: Mapped[datetime | None]


class Session(Base):
    __tablename__ = "Session"
    __table_args__ = (
        unique_index("sessionToken"),
        index("deviceId"),
        index("startedAt"),
        index("isActive"),
        index("projectId", "createdAt"),
        index("projectId", "startedAt"),
    )

    id: Mapped[str] = mapped_column(primary_key=True)
    projectId: Mapped[str] = mapped_column(references("Project", on_delete="Cascade"))
    deviceId: Mapped[str | None] = mapped_column(references("Device", on_delete="SetNull"))
    sessionToken: Mapped[str]
    startedAt: Mapped[datetime] = mapped_column(server_default=NOW)
    endedAt: Mapped[datetime | None]
    isActive: Mapped[bool] = mapped_column(server_default=db_default(True))
    appVersion: Mapped[str | None]
    osVersion: Mapped[str | None]
    locale: Mapped[str | None]
    timezone: Mapped[str | None]
    networkType: Mapped[str | None]
    screenFlow: Mapped[list[str] | None]
    entryScreen: Mapped[str | None]
    exitScreen: Mapped[str | None]
    duration: Mapped[int | None]
    screenCount: Mapped[int] = mapped_column(server_default=db_default(0))
    eventCount: Mapped[int] = mapped_column(server_default=db_default(0))
    errorCount: Mapped[int] = mapped_column(server_default=db_default(0))
    metadata_: Mapped[Json | None] = mapped_column("metadata")
    userProperties: Mapped[Json | None]
    createdAt: Mapped[datetime] = mapped_column(server_default=NOW)
    updatedAt: Mapped[datetime]


class Log(Base):
    __tablename__ = "Log"
    __table_args__ = (
        index("deviceId"),
        index("sessionId"),
        index("timestamp"),
        index("level"),
        index("tag"),
        index("projectId", "createdAt"),
        index("projectId", "timestamp"),
    )

    id: Mapped[str] = mapped_column(primary_key=True)
    projectId: Mapped[str] = mapped_column(references("Project", on_delete="Cascade"))
    deviceId: Mapped[str | None] = mapped_column(references("Device", on_delete="SetNull"))
    sessionId: Mapped[str | None] = mapped_column(references("Session", on_delete="SetNull"))
    level: Mapped[str] = mapped_column(server_default=db_default("info"))
    message: Mapped[str]
    tag: Mapped[str | None]
    data: Mapped[Json | None]
    fileName: Mapped[str | None]
    lineNumber: Mapped[int | None]
    functionName: Mapped[str | None]
    className: Mapped[str | None]
    screenName: Mapped[str | None]
    threadName: Mapped[str | None]
    timestamp: Mapped[datetime] = mapped_column(server_default=NOW)
    createdAt: Mapped[datetime] = mapped_column(server_default=NOW)


class Crash(Base):
    __tablename__ = "Crash"
    __table_args__ = (
        index("deviceId"),
        index("timestamp"),
        index("projectId", "createdAt"),
        index("projectId", "timestamp"),
    )

    id: Mapped[str] = mapped_column(primary_key=True)
    projectId: Mapped[str] = mapped_column(references("Project", on_delete="Cascade"))
    deviceId: Mapped[str | None] = mapped_column(references("Device", on_delete="SetNull"))
    message: Mapped[str]
    stackTrace: Mapped[str | None]
    metadata_: Mapped[Json | None] = mapped_column("metadata")
    timestamp: Mapped[datetime] = mapped_column(server_default=NOW)
    createdAt: Mapped[datetime] = mapped_column(server_default=NOW)


class ApiTrace(Base):
    __tablename__ = "ApiTrace"
    __table_args__ = (
        index("deviceId"),
        index("sessionId"),
        index("timestamp"),
        index("screenName"),
        index("projectId", "createdAt"),
        index("projectId", "timestamp"),
    )

    id: Mapped[str] = mapped_column(primary_key=True)
    projectId: Mapped[str] = mapped_column(references("Project", on_delete="Cascade"))
    deviceId: Mapped[str | None] = mapped_column(references("Device", on_delete="SetNull"))
    sessionId: Mapped[str | None] = mapped_column(references("Session", on_delete="SetNull"))
    url: Mapped[str]
    method: Mapped[str]
    statusCode: Mapped[int | None]
    requestHeaders: Mapped[Json | None]
    requestBody: Mapped[str | None]
    responseHeaders: Mapped[Json | None]
    responseBody: Mapped[str | None]
    duration: Mapped[int | None]
    error: Mapped[str | None]
    screenName: Mapped[str | None]
    networkType: Mapped[str | None]
    country: Mapped[str | None]
    carrier: Mapped[str | None]
    ipAddress: Mapped[str | None]
    userAgent: Mapped[str | None]
    cost: Mapped[float | None]
    timestamp: Mapped[datetime] = mapped_column(server_default=NOW)
    createdAt: Mapped[datetime] = mapped_column(server_default=NOW)


class MonitoredError(Base):
    __tablename__ = "MonitoredError"
    __table_args__ = (
        index("alertId"),
        index("projectId"),
        index("errorType"),
        index("firstOccurrence"),
        index("isResolved"),
    )

    id: Mapped[str] = mapped_column(primary_key=True)
    alertId: Mapped[str] = mapped_column(references("ApiAlert", on_delete="Cascade"))
    projectId: Mapped[str]
    errorType: Mapped[str]
    errorCode: Mapped[str]
    endpoint: Mapped[str]
    method: Mapped[str]
    statusCode: Mapped[int | None]
    requestBody: Mapped[str | None]
    responseBody: Mapped[str | None]
    firstOccurrence: Mapped[datetime] = mapped_column(server_default=NOW)
    lastOccurrence: Mapped[datetime] = mapped_column(server_default=NOW)
    occurrenceCount: Mapped[int] = mapped_column(server_default=db_default(1))
    affectedDevices: Mapped[list[str] | None]
    affectedSessions: Mapped[list[str] | None]
    lastTraceId: Mapped[str | None]
    lastNotifiedAt: Mapped[datetime | None]
    notificationCount: Mapped[int] = mapped_column(server_default=db_default(0))
    isResolved: Mapped[bool] = mapped_column(server_default=db_default(False))
    resolvedAt: Mapped[datetime | None]
    resolvedBy: Mapped[str | None]
    notes: Mapped[str | None]
    createdAt: Mapped[datetime] = mapped_column(server_default=NOW)
    updatedAt: Mapped[datetime]
