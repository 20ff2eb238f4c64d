#!/usr/bin/env python3
"""Starts the real `hallguard` binary with every configuration the repository ships and
checks that it works: no container engine or cluster needed.

Configurations: the compose stack (deploy/compose.yaml with the image's environment from
deploy/Dockerfile and deploy/tokens.example) and every kustomize overlay (the rendered
Deployments' args, environment, envFrom and mounted ConfigMaps and Secrets: hall files,
tokens files, peer URLs). For each, every `serve` role is started as a process, as
shipped, except for what only a cluster provides:
  - listen and metrics addresses become free local ports, and a peer URL naming a
    Service (or a compose service) points at the local port of the role behind it;
  - the database URL becomes a fresh database on the CI's PostgreSQL;
  - Secrets a production cluster holds outside the repository (the tokens, the service
    token, the ID hash key, CloudNativePG's URL) get stand-ins.
Then each role must report SERVING (`hallguard check health`), a gate check-in at every
hall must reach the contact-tracing instance serving that hall through the outbox
(`hallguard check presence`), and every process must stop cleanly on SIGTERM.

Usage: python3 scripts/boot_shipped.py [POSTGRES_URL]
Needs kubectl (kustomize), psql, and builds target/debug/hallguard; PyYAML is installed
into .venv/ when missing.
"""

import base64
import hashlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import tomllib

import packages  # scripts/packages.py

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.path.join(ROOT, "target", "debug", "hallguard")
# Stand-in tokens for configurations that ship none in clear (production).
STAND_IN = {
    "gate_device": "boot-check-gate-device-token",
    "analyst": "boot-check-analyst-token",
    "service": "boot-check-service-token",
}
# The development tokens deploy/tokens.example and the dev overlay document.
DEV = {
    "gate_device": "dev-gate-device-token",
    "analyst": "dev-analyst-token",
    "service": "dev-service-token",
}


def ensure_yaml():
    packages.ensure("yaml", "pyyaml")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def sha256(text):
    return hashlib.sha256(text.encode()).hexdigest()


def stand_in_tokens_file():
    return "".join(f"{role}:boot-check:{sha256(token)}\n" for role, token in STAND_IN.items())


class Role:
    """One `hallguard serve` process as a configuration describes it."""

    def __init__(self, name, args, env, files, host_names):
        self.name = name  # the Deployment or compose service
        self.args = args
        self.env = env
        self.files = files  # mount path -> {file name: content}
        self.host_names = host_names  # names a peer URL may use for it
        self.port = free_port()
        self.process = None


def database(url, name):
    """A fresh database on the server of `url`; returns its URL."""
    subprocess.run(["psql", url, "-q", "-X", "-c", f'DROP DATABASE IF EXISTS "{name}"'], check=True,
                   capture_output=True)
    subprocess.run(["psql", url, "-q", "-X", "-c", f'CREATE DATABASE "{name}"'], check=True, capture_output=True)
    base, _, query = url.partition("?")
    return base.rsplit("/", 1)[0] + "/" + name + ("?" + query if query else "")


def drop_database(url, name):
    subprocess.run(["psql", url, "-q", "-X", "-c", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'],
                   capture_output=True)


def dockerfile_env():
    """The image's ENV lines."""
    text = open(os.path.join(ROOT, "deploy", "Dockerfile")).read().replace("\\\n", " ")
    env = {}
    for line in text.splitlines():
        if line.startswith("ENV "):
            for pair in re.findall(r"(\w+)=(\S+)", line[4:]):
                env[pair[0]] = pair[1]
    return env


def compose_roles():
    import yaml
    path = os.path.join(ROOT, "deploy", "compose.yaml")
    spec = yaml.safe_load(open(path))
    roles = []
    for name, service in spec["services"].items():
        command = service.get("command") or []
        if not command or command[0] != "serve":
            continue
        env = dict(dockerfile_env())
        env.update({k: str(v) for k, v in (service.get("environment") or {}).items()})
        files = {}
        for volume in service.get("volumes") or []:
            host, container = volume.split(":")[:2]
            content = open(os.path.join(ROOT, "deploy", host)).read()
            files[container] = content  # a single file mounted at `container`
        roles.append(Role(name, command, env, files, {name}))
    return roles, DEV


def overlay_roles(overlay):
    import yaml
    rendered = subprocess.run(["kubectl", "kustomize", overlay], cwd=ROOT, check=True, capture_output=True,
                              text=True).stdout
    docs = [d for d in yaml.safe_load_all(rendered) if d]
    config_maps = {d["metadata"]["name"]: d.get("data") or {} for d in docs if d["kind"] == "ConfigMap"}
    secrets = {}
    for d in docs:
        if d["kind"] == "Secret":
            data = {k: base64.b64decode(v).decode() for k, v in (d.get("data") or {}).items()}
            data.update(d.get("stringData") or {})
            secrets[d["metadata"]["name"]] = data
    # Generated Secrets carry a hash suffix (hallguard-tokens-5c8f…).
    shipped_tokens = any(re.fullmatch(r"hallguard-tokens(-[a-z0-9]+)?", name) for name in secrets)
    tokens = DEV if shipped_tokens else STAND_IN

    def secret(name, key):
        if name in secrets and key in secrets[name]:
            return secrets[name][key]
        # Held by the cluster, outside the repository: a stand-in.
        if key == "tokens":
            return stand_in_tokens_file()
        if name == "hallguard-service-token":
            return STAND_IN["service"]
        if name == "hallguard-id-hash-key":
            return "boot-check-id-hash-key-of-32-bytes-or-more"
        if name == "hallguard-data-keys":
            return "boot:" + base64.b64encode(b"boot-check-data-key-of-32-bytes!").decode()
        if key in ("url", "uri", "password"):
            return "replaced-by-the-check"
        raise SystemExit(f"{overlay}: secret {name}/{key} is neither shipped nor known to the check")

    services = [d for d in docs if d["kind"] == "Service"]
    roles = []
    for d in docs:
        if d["kind"] != "Deployment":
            continue
        pod = d["spec"]["template"]["spec"]
        container = pod["containers"][0]
        args = container.get("args") or []
        if not args or args[0] != "serve":
            continue
        env = dict(dockerfile_env())
        for source in container.get("envFrom") or []:
            if "configMapRef" in source:
                env.update(config_maps[source["configMapRef"]["name"]])
            if "secretRef" in source:
                env.update(secrets.get(source["secretRef"]["name"], {}))
        for var in container.get("env") or []:
            if "value" in var:
                env[var["name"]] = str(var["value"])
            elif "secretKeyRef" in var.get("valueFrom", {}):
                ref = var["valueFrom"]["secretKeyRef"]
                env[var["name"]] = secret(ref["name"], ref["key"])
            elif "configMapKeyRef" in var.get("valueFrom", {}):
                ref = var["valueFrom"]["configMapKeyRef"]
                env[var["name"]] = config_maps[ref["name"]][ref["key"]]
        volumes = {v["name"]: v for v in pod.get("volumes") or []}
        files = {}
        for mount in container.get("volumeMounts") or []:
            volume = volumes[mount["name"]]
            if "configMap" in volume:
                content = dict(config_maps[volume["configMap"]["name"]])
            elif "secret" in volume:
                name = volume["secret"]["secretName"]
                content = dict(secrets[name]) if name in secrets else {"tokens": secret(name, "tokens")}
            else:
                continue
            files[mount["mountPath"]] = content
        labels = d["spec"]["template"]["metadata"].get("labels") or {}
        names = {d["metadata"]["name"]}
        for service in services:
            selector = service["spec"].get("selector") or {}
            if selector and all(labels.get(k) == v for k, v in selector.items()):
                names.add(service["metadata"]["name"])
        roles.append(Role(d["metadata"]["name"], args, env, files, names))
    return roles, tokens


def localise(roles, directory, database_url):
    """Files written under `directory`, paths, addresses, peers and the database made local."""
    ports = {}
    for role in roles:
        for name in role.host_names:
            ports[name] = role.port
    for role in roles:
        base = os.path.join(directory, role.name)
        for mount, content in role.files.items():
            local = base + mount
            if isinstance(content, str):
                os.makedirs(os.path.dirname(local), exist_ok=True)
                open(local, "w").write(content)
            else:
                os.makedirs(local, exist_ok=True)
                for file_name, text in content.items():
                    open(os.path.join(local, file_name), "w").write(text)
        env = {}
        for key, value in role.env.items():
            for mount in role.files:
                value = value.replace(mount, base + mount)

            def peer(match):
                host = match.group(1).split(".")[0]
                return f"http://127.0.0.1:{ports[host]}" if host in ports else match.group(0)

            env[key] = re.sub(r"http://([a-z0-9.-]+):\d+", peer, value)
        env["HALLGUARD_LISTEN"] = f"127.0.0.1:{role.port}"
        if "HALLGUARD_METRICS_LISTEN" in env:
            env["HALLGUARD_METRICS_LISTEN"] = f"127.0.0.1:{free_port()}"
        env["HALLGUARD_DATABASE_URL"] = database_url
        role.env = env


def halls_of(role):
    paths = [p.strip() for p in role.env.get("HALLGUARD_HALL_FILES", "").split(",") if p.strip()]
    # No hall file: the sample hall built into the binary.
    paths = paths or [os.path.join(ROOT, "domain", "halls", "sample.toml")]
    return [tomllib.load(open(p, "rb")) for p in paths]


def contact_tracing_url(screening, site):
    setting = screening.env.get("HALLGUARD_CONTACT_TRACING_URL", "")
    default = None
    for entry in (e.strip() for e in setting.split(",") if e.strip()):
        if "=" in entry and not entry.startswith("http"):
            name, url = entry.split("=", 1)
            if name == site:
                return url
        else:
            default = entry
    return default


def check(command, env=None, timeout=120):
    result = subprocess.run([BINARY, "check", *command], capture_output=True, text=True, timeout=timeout,
                            env={**os.environ, **(env or {})})
    if result.returncode != 0:
        raise RuntimeError(result.stderr.strip() or result.stdout.strip())
    return result.stdout.strip()


def boot(label, roles, tokens, postgres_url):
    name = "hallguard_boot_" + re.sub(r"[^a-z0-9]", "_", label.lower())
    url = database(postgres_url, name)
    directory = tempfile.mkdtemp(prefix="hallguard-boot-")
    logs = {}
    try:
        localise(roles, directory, url)
        for role in roles:
            logs[role.name] = open(os.path.join(directory, role.name + ".log"), "w+")
            environment = {k: v for k, v in os.environ.items() if not k.startswith("HALLGUARD_")}
            environment.update(role.env)
            role.process = subprocess.Popen([BINARY, *role.args], env=environment, stdout=logs[role.name],
                                            stderr=subprocess.STDOUT)
        for role in roles:
            check(["health", "--url", f"http://127.0.0.1:{role.port}", "--timeout-secs", "120"], timeout=150)
        screening = next(r for r in roles if r.args[1:2] == ["screening"])
        reached = []
        for hall in halls_of(screening):
            site = hall["site_id"]
            gate = next(g["id"] for g in hall["gates"] if g["direction"] == "entrance")
            zone = next(z["id"] for z in hall["zones"] if z["kind"] == "public")
            tracing = contact_tracing_url(screening, site)
            check(["presence", "--screening-url", f"http://127.0.0.1:{screening.port}",
                   "--contact-tracing-url", tracing, "--site", site, "--gate", gate, "--zone", zone,
                   "--timeout-secs", "60"],
                  env={"HALLGUARD_GATE_TOKEN": tokens["gate_device"], "HALLGUARD_ANALYST_TOKEN": tokens["analyst"]},
                  timeout=90)
            reached.append(site)
        for role in roles:
            role.process.send_signal(signal.SIGTERM)
        for role in roles:
            code = role.process.wait(timeout=60)
            if code != 0:
                raise RuntimeError(f"{role.name} exited with {code} after SIGTERM")
        print(f"{label}: {len(roles)} roles SERVING ({', '.join(r.name for r in roles)}); "
              f"a check-in reached contact tracing at {', '.join(reached)}; all stopped cleanly")
    except Exception as error:
        for role in roles:
            if role.name in logs:
                logs[role.name].flush()
                logs[role.name].seek(0)
                tail = logs[role.name].read().splitlines()[-15:]
                print(f"--- {label} / {role.name} ({' '.join(role.args)}) log tail:", *tail, sep="\n  ",
                      file=sys.stderr)
        raise SystemExit(f"{label}: {error}")
    finally:
        for role in roles:
            if role.process and role.process.poll() is None:
                role.process.kill()
        drop_database(postgres_url, name)
        shutil.rmtree(directory, ignore_errors=True)


def main():
    ensure_yaml()
    postgres_url = sys.argv[1] if len(sys.argv) > 1 else os.environ.get(
        "HALLGUARD_CI_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    subprocess.run(["cargo", "build", "-q", "-p", "hallguard"], cwd=ROOT, check=True)
    roles, tokens = compose_roles()
    boot("compose", roles, tokens, postgres_url)
    for overlay in sorted(os.listdir(os.path.join(ROOT, "k8s", "overlays"))):
        roles, tokens = overlay_roles(os.path.join("k8s", "overlays", overlay))
        boot(f"k8s/overlays/{overlay}", roles, tokens, postgres_url)


if __name__ == "__main__":
    main()
