#!/usr/bin/env bash
# Fails when the generated code (pkg/generated, pkg/apis/**/zz_generated.*,
# the protobuf files and the protobuf tags go-to-protobuf keeps in types*.go)
# or the API rule report is not what hack/update-codegen.sh produces from the
# current types. Leaves the tree as it found it.
set -o errexit -o nounset -o pipefail

SCRIPT_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "${SCRIPT_ROOT}"

SNAPSHOT=$(mktemp -d)
trap 'rm -rf "${SNAPSHOT}"' EXIT

generated() {
  find pkg/generated api -type f
  find pkg/apis -type f \( -name 'zz_generated.*' -o -name 'generated.proto' -o -name 'generated.pb.go' -o -name 'types*.go' \)
}
save() { generated | sort | tar -cf "$1" -T -; }
restore() {
  generated | xargs rm -f
  tar -xf "$1"
}

save "${SNAPSHOT}/before.tar"
mkdir "${SNAPSHOT}/before" && tar -xf "${SNAPSHOT}/before.tar" -C "${SNAPSHOT}/before"

echo "Regenerating code to compare ..."
if ! bash hack/update-codegen.sh >"${SNAPSHOT}/codegen.log" 2>&1; then
  cat "${SNAPSHOT}/codegen.log"
  restore "${SNAPSHOT}/before.tar"
  echo "hack/update-codegen.sh failed" >&2
  exit 1
fi

save "${SNAPSHOT}/after.tar"
mkdir "${SNAPSHOT}/after" && tar -xf "${SNAPSHOT}/after.tar" -C "${SNAPSHOT}/after"
if ! diff -Naupr "${SNAPSHOT}/before" "${SNAPSHOT}/after"; then
  restore "${SNAPSHOT}/before.tar"
  echo "Generated code is out of date. Run hack/update-codegen.sh and commit the result." >&2
  exit 1
fi
echo "Generated code is up to date."
