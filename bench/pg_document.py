"""The org chart document produced by PostgreSQL alone: one query of ``json_build_object`` /
``json_agg``, returned as text. No Python touches a row, so it is the practical limit for
building this document from these tables; the app is measured against it.

The tree is nested level by level (one CTE per level, deepest first, each aggregating its
children with a GROUP BY), so the SQL is written for a given depth: ``tree_depth()`` reads it
once beforehand (outside the timing). Same document as the app's for an HR manager on an
organisation without archived teams (which the generator never makes).
"""

from __future__ import annotations

from django.db import connection

from roles.models import Duty, Role
from teams.models import Membership, Team, TeamDuty


def tree_depth() -> int:
    team = Team._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""WITH RECURSIVE tree(id, depth) AS (
                SELECT id, 0 FROM {team} WHERE parent_id IS NULL AND NOT archived
                UNION ALL
                SELECT t.id, tree.depth + 1 FROM {team} t JOIN tree ON t.parent_id = tree.id WHERE NOT t.archived
            ) SELECT COALESCE(MAX(depth), 0) FROM tree"""
        )
        return cursor.fetchone()[0]


def document_sql(depth: int) -> str:
    from django.contrib.auth import get_user_model

    team, core, role, duty = (m._meta.db_table for m in (Team, TeamDuty, Role, Duty))
    member, user = Membership._meta.db_table, get_user_model()._meta.db_table
    ctes = [
        f"""tree(id, depth) AS (
            SELECT id, 0 FROM {team} WHERE parent_id IS NULL AND NOT archived
            UNION ALL
            SELECT t.id, tree.depth + 1 FROM {team} t JOIN tree ON t.parent_id = tree.id WHERE NOT t.archived)""",
        f"""core AS (SELECT team_id, json_agg(json_build_object('id', id, 'position', position, 'text', text)
            ORDER BY position) AS j FROM {core} GROUP BY team_id)""",
        f"""duty AS (SELECT role_id, json_agg(json_build_object('id', id, 'position', position, 'text', text,
            'serves', serves_id) ORDER BY position) AS j FROM {duty} GROUP BY role_id)""",
        f"""person AS (SELECT m.id AS membership_id, m.team_id, m.role_id, m.is_lead, u.username,
            json_build_object('id', u.id, 'username', u.username,
                'name', COALESCE(NULLIF(BTRIM(u.first_name || ' ' || u.last_name), ''), u.username)) AS j
            FROM {member} m JOIN {user} u ON u.id = m.user_id WHERE m.is_lead OR m.role_id IS NOT NULL)""",
        """holder AS (SELECT role_id, json_agg(j ORDER BY username, membership_id) AS j FROM person
            WHERE role_id IS NOT NULL GROUP BY role_id)""",
        """lead AS (SELECT team_id, json_agg(j ORDER BY username, membership_id) AS j FROM person
            WHERE is_lead GROUP BY team_id)""",
        f"""role AS (SELECT r.team_id, json_agg(json_build_object('id', r.id, 'slug', r.slug, 'title', r.title,
            'status', r.status, 'headcount', r.headcount, 'version', r.version,
            'duties', COALESCE(d.j, '[]'::json), 'holders', COALESCE(h.j, '[]'::json)) ORDER BY r.title, r.id) AS j
            FROM {role} r LEFT JOIN duty d ON d.role_id = r.id LEFT JOIN holder h ON h.role_id = r.id
            WHERE r.status IN ('active', 'draft') GROUP BY r.team_id)""",
        f"""node AS (SELECT t.id, t.parent_id, t.position, t.name, t.slug, t.kind, t.description, tree.depth,
            COALESCE(l.j, '[]'::json) AS leads, COALESCE(c.j, '[]'::json) AS core_duties,
            COALESCE(r.j, '[]'::json) AS roles
            FROM tree JOIN {team} t ON t.id = tree.id LEFT JOIN lead l ON l.team_id = t.id
            LEFT JOIN core c ON c.team_id = t.id LEFT JOIN role r ON r.team_id = t.id)""",
    ]
    for level in range(depth, -1, -1):
        if level == depth:
            children, join = "'[]'::json", ""
        else:
            children = "COALESCE(ch.j, '[]'::json)"
            join = (
                f"LEFT JOIN (SELECT parent_id, json_agg(j ORDER BY position, name, id) AS j FROM level{level + 1} "
                f"GROUP BY parent_id) ch ON ch.parent_id = n.id"
            )
        ctes.append(
            f"""level{level} AS (SELECT n.id, n.parent_id, n.position, n.name, json_build_object('id', n.id,
                'slug', n.slug, 'name', n.name, 'kind', n.kind, 'description', n.description, 'leads', n.leads,
                'core_duties', n.core_duties, 'roles', n.roles, 'children', {children}) AS j
                FROM node n {join} WHERE n.depth = {level})"""
        )
    return (
        "WITH RECURSIVE "
        + ",\n".join(ctes)
        + """
        SELECT json_build_object('version', %s, 'generated_at', now(),
            'teams', COALESCE((SELECT json_agg(j ORDER BY position, name, id) FROM level0), '[]'::json))::text"""
    )


def pg_document(sql: str, version: str = "pg") -> str:
    with connection.cursor() as cursor:
        cursor.execute(sql, [version])
        return cursor.fetchone()[0]
