"""Web pages and HTTP routes: public pages, the web/kiosk survey, staff and admin, APIs.

Views stay thin: they read `bot.keys` from the app and call services in bot/, storage and
survey_flows. Each module contributes a `routes` table; `setup` registers them all.
"""

from aiohttp import web

from bot.web import (
    admin_audit,
    admin_schema,
    admin_settings,
    admin_users,
    api,
    assets,
    auth,
    demo,
    desk,
    flow_forms,
    flows,
    home,
    imports,
    kiosk,
    public,
    security,
    staff_reports,
    staff_scores,
    survey,
)

#: Every module's routes, in registration order (one line per module).
ROUTE_TABLES: tuple[web.RouteTableDef, ...] = (
    home.routes,
    assets.routes,
    survey.routes,
    kiosk.routes,
    public.routes,
    api.routes,
    demo.routes,
    auth.routes,
    desk.routes,
    imports.routes,
    staff_reports.routes,
    staff_scores.routes,
    admin_users.routes,
    admin_settings.routes,
    admin_audit.routes,
    flow_forms.routes,  # before flows: /admin/flows/new is not a flow's id
    flows.routes,
    admin_schema.routes,
)


def setup(app: web.Application) -> None:
    """Register every web route on the app, behind the security headers and the 405 check."""
    security.setup(app)  # first: its headers go on every answer, the other middlewares' too
    app.middlewares.append(auth.staff_middleware)
    imports.setup(app)  # background imports stop with the app
    for table in ROUTE_TABLES:
        app.router.add_routes(table)


__all__ = ["ROUTE_TABLES", "setup"]
