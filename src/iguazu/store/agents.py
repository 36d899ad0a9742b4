"""Agents: their declared capacity and their lease (heartbeats)."""

from __future__ import annotations

import builtins
from datetime import datetime

import sqlalchemy as sa

from ..models import Agent, State
from . import tables as t
from .database import Database


class AgentQueries(Database):
    def register_agent(self, agent: Agent) -> None:
        with self._write(notify=True) as conn:
            conn.execute(
                t.agents.insert().values(
                    id=agent.id,
                    host=agent.host,
                    pid=agent.pid,
                    cpu=agent.cpu,
                    memory=agent.memory,
                    capabilities=list(agent.capabilities),
                    started_at=agent.started_at,
                    heartbeat_at=agent.heartbeat_at,
                )
            )

    def heartbeat(self, agent_id: str, now: datetime) -> bool:
        """Renew the agent's lease. False when a peer already declared it gone."""
        a = t.agents.c
        with self._write() as conn:
            return bool(
                conn.execute(
                    t.agents.update()
                    .where(a.id == agent_id, a.stopped_at.is_(None))
                    .values(heartbeat_at=now)
                ).rowcount
            )

    def stop_agent(self, agent_id: str, now: datetime) -> None:
        with self._write() as conn:
            conn.execute(t.agents.update().where(t.agents.c.id == agent_id).values(stopped_at=now))

    def agents(self, *, alive_since: datetime | None = None) -> builtins.list[Agent]:
        """Agents not stopped (and, if given, heard from since `alive_since`), with what
        their live invocations reserve."""
        a, c = t.agents.c, t.invocations.c
        used = (
            sa.select(
                c.agent_id,
                sa.func.sum(c.reserved_cpu).label("cpu"),
                sa.func.sum(c.reserved_memory).label("memory"),
            )
            .where(c.state.in_([State.STARTING.value, State.RUNNING.value]))
            .group_by(c.agent_id)
            .subquery()
        )
        query = (
            sa.select(t.agents, used.c.cpu.label("used_cpu"), used.c.memory.label("used_memory"))
            .outerjoin(used, used.c.agent_id == a.id)
            .where(a.stopped_at.is_(None))
        )
        if alive_since is not None:
            query = query.where(a.heartbeat_at >= alive_since)
        with self.engine.connect() as conn:
            rows = conn.execute(query.order_by(a.started_at)).all()
        return [
            Agent(
                id=r.id,
                host=r.host,
                pid=r.pid,
                cpu=r.cpu,
                memory=r.memory,
                capabilities=tuple(r.capabilities),
                started_at=r.started_at,
                heartbeat_at=r.heartbeat_at,
                used_cpu=int(r.used_cpu or 0),
                used_memory=int(r.used_memory or 0),
            )
            for r in rows
        ]
