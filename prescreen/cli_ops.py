"""Operations commands of `prescreen`: the Prometheus exporter.

    prescreen metrics --port 9808     /metrics: queue depth from the broker, and the task, page and OCR
                                      metrics of the worker processes writing to PROMETHEUS_MULTIPROC_DIR
"""
from __future__ import annotations

import argparse
import sys
from typing import Any

from prescreen.settings import AppSettings


def cmd_metrics(args: argparse.Namespace, settings: AppSettings) -> int:
    """Serve /metrics until stopped."""
    from prescreen import metrics
    from prescreen.tasks_app import QueueSettings

    s = metrics.MetricsSettings()
    host = args.host or s.host
    queues = QueueSettings()
    if queues.eager and not args.no_queue_depth:
        print("prescreen: 未设置 PRESCREEN_BROKER_URL，不报告队列长度 / PRESCREEN_BROKER_URL is not set: "
              "no queue depth", file=sys.stderr)
    if args.queues:
        s = s.model_copy(update={"queues": args.queues})
    thread = metrics.serve(host, args.port, metrics.make_registry(queue_depth=not args.no_queue_depth, settings=s))
    where = metrics.multiproc_dir()
    print(f"指标 / metrics: http://{host}:{args.port}/metrics"
          + (f"  (worker processes: {where})" if where else "")
          + ("" if queues.eager or args.no_queue_depth else f"  (queues: {', '.join(s.queue_names(queues.queue))})"),
          file=sys.stderr, flush=True)
    thread.join()
    return 0


def add_commands(sub: Any) -> None:
    m = sub.add_parser("metrics", help="Prometheus 指标（队列长度、任务、页数、OCR 耗时） / serve Prometheus metrics")
    m.add_argument("--host", help="listen address (default: PRESCREEN_METRICS_HOST, 0.0.0.0)")
    m.add_argument("--port", type=int, default=9808)
    m.add_argument("--queues", help="comma-separated queues to report (default: PRESCREEN_METRICS_QUEUES, "
                                    "else PRESCREEN_QUEUE)")
    m.add_argument("--no-queue-depth", action="store_true", help="do not ask the broker")
    m.set_defaults(func=cmd_metrics)
