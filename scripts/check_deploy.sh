#!/usr/bin/env bash
# Checks the deployment files without a cluster: every kustomize overlay builds, and its
# output passes strict Kubernetes schema validation (kubernetes-validate from PyPI, in
# .venv/). Custom resources (CloudNativePG) have no schema there and are only warned.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v kubectl >/dev/null 2>&1; then
  echo "kubectl not found: install it to check the manifests" >&2
  exit 1
fi
if [ ! -x .venv/bin/kubernetes-validate ]; then
  python3 -m venv .venv
  .venv/bin/pip install --quiet kubernetes-validate
fi
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
for overlay in k8s/overlays/*/; do
  name="$(basename "$overlay")"
  kubectl kustomize "$overlay" > "$out/$name.yaml"
  .venv/bin/kubernetes-validate --strict --quiet -k 1.31.0 "$out/$name.yaml"
  echo "k8s/overlays/$name: $(grep -c '^kind:' "$out/$name.yaml") objects, valid"
done
