"""`prescreen serve` and `prescreen create-admin`, added to the prescreen command by prescreen/cli.py."""
from __future__ import annotations

import argparse
import getpass
import os
import sys
from typing import Any

from prescreen.settings import AppSettings


def cmd_serve(args: argparse.Namespace, settings: AppSettings) -> int:
    """The workbench on uvicorn: API, pages and (embedded default) the processing, in this one process."""
    import uvicorn

    from web.app import create_app
    from web.settings import InsecureSettings

    try:
        app = create_app(settings)
    except InsecureSettings as e:
        print(f"prescreen: {e}", file=sys.stderr)
        return 2
    print(f"prescreen 预审工作台：http://{args.host}:{args.port}/  (API: /docs)", file=sys.stderr)
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level, proxy_headers=args.proxy_headers,
                forwarded_allow_ips=args.forwarded_allow_ips)
    return 0


def cmd_create_admin(args: argparse.Namespace, settings: AppSettings) -> int:
    """The first administrator (or another one): password from PRESCREEN_ADMIN_PASSWORD, else asked twice."""
    from sqlalchemy.orm import sessionmaker

    import web.models  # noqa: F401 - the workbench tables, before the schema is migrated
    from storage.settings import open_repository
    from web.accounts import AccountError, create_user
    from web.models import Role

    password = os.environ.get("PRESCREEN_ADMIN_PASSWORD")
    if not password:
        if not sys.stdin.isatty():
            print("prescreen: 请设置 PRESCREEN_ADMIN_PASSWORD 或在终端中运行 / set PRESCREEN_ADMIN_PASSWORD "
                  "or run in a terminal", file=sys.stderr)
            return 2
        password = getpass.getpass("密码 / password: ")
        if password != getpass.getpass("再次输入 / again: "):
            print("prescreen: 两次输入的密码不一致 / passwords differ", file=sys.stderr)
            return 2
    db = sessionmaker(open_repository(settings.storage).engine, expire_on_commit=False)
    try:
        user = create_user(db, args.username, password, Role.ADMIN, display_name=args.display_name,
                           actor="cli:create-admin")
    except AccountError as e:
        print(f"prescreen: {e}", file=sys.stderr)
        return 2
    print(f"已创建管理员 / administrator created: {user.username}")
    return 0


def add_commands(sub: Any) -> None:
    s = sub.add_parser("serve", help="启动预审工作台（网页与 API） / run the officers' workbench (web UI and REST API)")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8000)
    s.add_argument("--log-level", default="info")
    s.add_argument("--proxy-headers", action="store_true", help="trust X-Forwarded-* (behind a reverse proxy)")
    s.add_argument("--forwarded-allow-ips", default="127.0.0.1")
    s.set_defaults(func=cmd_serve)
    a = sub.add_parser("create-admin", help="创建管理员账户 / create an administrator account")
    a.add_argument("username")
    a.add_argument("--display-name", help="姓名 / display name")
    a.set_defaults(func=cmd_create_admin)
