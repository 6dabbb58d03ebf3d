#!/usr/bin/env python3
"""Writes grafana-dashboard.json (run it after editing the panels below; the JSON is committed).

Every query names only metrics a silo's /metrics exports (checked by tests/FaceCluster.Api.Tests/ObservabilityTests.cs)
or, in the panels marked optional, the NVIDIA DCGM exporter's (dcgm-exporter on the GPU pool).
"""
import json
import pathlib

DS = {"type": "prometheus", "uid": "${datasource}"}
SEL = 'namespace=~"$namespace"'
panels = []
pid = 0
y = 0


def row(title):
    global pid, y
    pid += 1
    panels.append({"id": pid, "type": "row", "title": title, "collapsed": False, "gridPos": {"h": 1, "w": 24, "x": 0, "y": y}, "panels": []})
    y += 1


def panel(title, targets, x, w=8, h=8, unit="short", kind="timeseries", description=""):
    global pid
    pid += 1
    panels.append({
        "id": pid, "type": kind, "title": title, "description": description, "datasource": DS,
        "gridPos": {"h": h, "w": w, "x": x, "y": y},
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "options": {"legend": {"displayMode": "list", "placement": "bottom"}} if kind == "timeseries" else {"reduceOptions": {"calcs": ["lastNotNull"]}},
        "targets": [{"refId": chr(65 + i), "datasource": DS, "expr": e, "legendFormat": l} for i, (e, l) in enumerate(targets)],
    })


def next_line(h=8):
    global y
    y += h


row("Runs and stages")
panel("Active runs", [(f"max(facecluster_runs_active{{{SEL}}})", "unfinished runs")], 0, w=4, kind="stat",
      description="Unfinished runs of the whole cluster (every silo reports the registry's count: max, not sum).")
panel("Ranges finished by stage and outcome",
      [(f"sum by (facecluster_stage, facecluster_outcome) (rate(facecluster_ranges_finished_total{{{SEL}}}[$__rate_interval]))", "{{facecluster_stage}} {{facecluster_outcome}}")],
      4, w=10, unit="ops", description="Range attempts ended per second; outcomes other than computed are failures, timeouts or superseded attempts.")
panel("Ranges running and queued",
      [(f"sum(facecluster_ranges_running{{{SEL}}})", "running"), (f"sum(facecluster_ranges_queued{{{SEL}}})", "queued")], 14, w=10)
next_line()
panel("Run duration (p50, p90) by kind",
      [(f"histogram_quantile(0.5, sum by (le, facecluster_kind) (rate(facecluster_run_duration_seconds_bucket{{{SEL}}}[$__rate_interval])))", "p50 {{facecluster_kind}}"),
       (f"histogram_quantile(0.9, sum by (le, facecluster_kind) (rate(facecluster_run_duration_seconds_bucket{{{SEL}}}[$__rate_interval])))", "p90 {{facecluster_kind}}")],
      0, w=12, unit="s")
panel("Runs finished by kind and state",
      [(f"sum by (facecluster_kind, facecluster_state) (increase(facecluster_run_duration_seconds_count{{{SEL}}}[$__range]))", "{{facecluster_kind}} {{facecluster_state}}")],
      12, w=12, kind="bargauge")
next_line()

row("Throughput")
panel("Replicates / s", [(f"sum(rate(facecluster_replicates_completed_total{{{SEL}}}[$__rate_interval]))", "replicates/s")], 0, w=6, unit="ops")
panel("Leave-one-out folds / s", [(f"sum(rate(facecluster_folds_completed_total{{{SEL}}}[$__rate_interval]))", "folds/s")], 6, w=6, unit="ops")
panel("Crops / s by status", [(f"sum by (facecluster_crop_status) (rate(facecluster_crops_completed_total{{{SEL}}}[$__rate_interval]))", "{{facecluster_crop_status}}")], 12, w=6, unit="ops")
panel("Bytes written / s by stage", [(f"sum by (facecluster_stage) (rate(facecluster_bytes_written_bytes_total{{{SEL}}}[$__rate_interval]))", "{{facecluster_stage}}")], 18, w=6, unit="Bps")
next_line()

row("Training and prediction (GPU silos)")
panel("Training loss (last batch)", [(f"max by (pod) (facecluster_training_loss{{{SEL}}})", "{{pod}}")], 0, w=8,
      description="MSE of the last training batch on each silo; the whole curve of a run is its model folder's loss.parquet.")
panel("Training faces / s", [(f"sum(rate(facecluster_training_faces_total{{{SEL}}}[$__rate_interval]))", "faces/s"),
                             (f"sum(rate(facecluster_training_steps_total{{{SEL}}}[$__rate_interval]))", "batches/s")], 8, w=8, unit="ops")
panel("Prediction throughput", [(f"sum(rate(facecluster_predictions_completed_total{{{SEL}}}[$__rate_interval]))", "faces/s")], 16, w=8, unit="ops")
next_line()

row("Cluster, Redis and API")
panel("Silos", [(f"max(orleans_consistent_ring_size{{{SEL}}})", "active silos (Orleans ring)"),
                (f"count(up{{{SEL}, job=~\"$job\"}} == 1)", "scraped silos up")], 0, w=6, kind="timeseries",
      description="Active silos in Orleans' consistent ring (from the membership in Redis), and the silo pods Prometheus scrapes.")
panel("Redis grain storage latency (p90)",
      [(f"histogram_quantile(0.9, sum by (le) (rate(orleans_storage_read_latency_milliseconds_bucket{{{SEL}}}[$__rate_interval])))", "read p90"),
       (f"histogram_quantile(0.9, sum by (le) (rate(orleans_storage_write_latency_milliseconds_bucket{{{SEL}}}[$__rate_interval])))", "write p90")],
      6, w=6, unit="ms", description="Grain state reads and writes (Redis in a deployed cluster): Redis latency as the silos see it.")
panel("Not ready (/readyz 503: Redis or membership)", [(f"sum(rate(http_server_request_duration_seconds_count{{{SEL}, http_route=\"/readyz\", http_response_status_code=\"503\"}}[$__rate_interval]))", "503/s")], 12, w=12, unit="reqps")
next_line()
panel("API requests by status", [(f"sum by (http_response_status_code) (rate(http_server_request_duration_seconds_count{{{SEL}}}[$__rate_interval]))", "{{http_response_status_code}}")],
      0, w=12, unit="reqps")
panel("API latency (p90)", [(f"histogram_quantile(0.9, sum by (le) (rate(http_server_request_duration_seconds_bucket{{{SEL}}}[$__rate_interval])))", "p90")], 12, w=12, unit="s")
next_line()

row("GPUs (optional: needs the NVIDIA DCGM exporter)")
panel("GPU utilisation (DCGM, optional)", [("avg by (Hostname, gpu) (DCGM_FI_DEV_GPU_UTIL)", "{{Hostname}} GPU {{gpu}}")], 0, w=12, unit="percent",
      description="Optional: empty without dcgm-exporter on the GPU pool.")
panel("GPU memory used (DCGM, optional)", [("max by (Hostname, gpu) (DCGM_FI_DEV_FB_USED)", "{{Hostname}} GPU {{gpu}}")], 12, w=12, unit="decmbytes",
      description="Optional: framebuffer memory used, MiB (TorchSharp exposes no CUDA memory counters, so the silo reports none).")
next_line()

dashboard = {
    "uid": "facecluster",
    "title": "FaceCluster",
    "tags": ["facecluster", "orleans"],
    "timezone": "browser",
    "schemaVersion": 39,
    "version": 1,
    "editable": True,
    "refresh": "30s",
    "time": {"from": "now-6h", "to": "now"},
    "templating": {"list": [
        {"name": "datasource", "type": "datasource", "query": "prometheus", "label": "Data source"},
        {"name": "namespace", "type": "query", "datasource": DS, "query": "label_values(facecluster_ranges_running, namespace)",
         "includeAll": True, "allValue": ".*", "multi": True, "label": "Namespace"},
        {"name": "job", "type": "query", "datasource": DS, "query": "label_values(facecluster_ranges_running, job)",
         "includeAll": True, "allValue": ".*", "multi": True, "label": "Job"},
    ]},
    "annotations": {"list": []},
    "panels": panels,
}
out = pathlib.Path(__file__).with_name("grafana-dashboard.json")
out.write_text(json.dumps(dashboard, indent=2) + "\n")
print(out)
