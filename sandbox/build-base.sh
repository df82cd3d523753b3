#!/usr/bin/env bash
# Builds the offline base image hangar-base:bookworm from Debian packages (no image registry
# needed): mmdebstrap fetches from the mirrors in this machine's own apt sources, the tree is
# imported with `docker import`. Skips the build when the image exists with the same package list.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/setup/lib.sh
source "$HERE/../scripts/setup/lib.sh"

SUITE=bookworm
IMAGE="${HANGAR_BASE_IMAGE:-hangar-base:$SUITE}"
PACKAGES_FILE="$HERE/packages.txt"
start="$(now)"

[ -r "$PACKAGES_FILE" ] || die "package list $PACKAGES_FILE is missing" 2
packages_sha="$(sha256sum "$PACKAGES_FILE" | cut -c1-64)"

if docker image inspect "$IMAGE" >/dev/null 2>&1; then
  have_sha="$(docker image inspect -f '{{ index .Config.Labels "dev.hangar.packages-sha" }}' "$IMAGE" 2>/dev/null || true)"
  if [ "$have_sha" = "$packages_sha" ]; then
    log "base image $IMAGE is present ($(elapsed "$start") s)"
    exit 0
  fi
  log "base image $IMAGE was built from another package list; rebuilding"
fi

# Debian entries for $SUITE (and $SUITE-updates/-security) from apt's sources, as one-line
# `deb URI SUITE COMPONENTS` entries. Reads both deb822 *.sources and one-line *.list files;
# third-party repositories are dropped because the new root file system has no keys for them.
apt_source_files() {
  [ -f /etc/apt/sources.list ] && echo /etc/apt/sources.list
  local f
  for f in /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] && echo "$f"
  done
  return 0
}

debian_sources() {
  [ "$#" -gt 0 ] || return 0
  awk -v suite="$SUITE" '
    function wanted(s) { return s == suite || s == suite "-updates" || s == suite "-security" }
    function emit(types, uris, suites, comps,   t, u, s, nt, nu, ns, i, j, k) {
      if (comps == "") comps = "main"
      nt = split(types, t, " "); nu = split(uris, u, " "); ns = split(suites, s, " ")
      for (i = 1; i <= nt; i++) if (t[i] == "deb")
        for (j = 1; j <= nu; j++) for (k = 1; k <= ns; k++)
          if (wanted(s[k])) print "deb " u[j] " " s[k] " " comps
    }
    function flush() {
      if (enabled != "no") emit(f["types"], f["uris"], f["suites"], f["components"])
      delete f; enabled = ""; key = ""
    }
    FNR == 1 { if (deb822) flush(); deb822 = (FILENAME ~ /\.sources$/) }
    /^[ \t]*#/ { next }
    !deb822 {
      line = $0; sub(/\[[^]]*\]/, "", line); sub(/^[ \t]+/, "", line)
      n = split(line, w, /[ \t]+/)
      if (w[1] == "deb" && n >= 3 && wanted(w[3])) {
        comps = ""; for (i = 4; i <= n; i++) comps = comps (comps == "" ? "" : " ") w[i]
        print "deb " w[2] " " w[3] " " (comps == "" ? "main" : comps)
      }
      next
    }
    /^[ \t]*$/ { flush(); next }
    /^[ \t]/ { if (key != "") f[key] = f[key] " " $0; next }
    {
      key = tolower(substr($0, 1, index($0, ":") - 1)); val = substr($0, index($0, ":") + 1)
      gsub(/^[ \t]+|[ \t]+$/, "", val)
      if (key == "enabled") enabled = tolower(val); else f[key] = val
    }
    END { if (deb822) flush() }
  ' "$@" | awk '!seen[$0]++'
}

require_root "building the base image"
apt_install mmdebstrap

mapfile -t source_files < <(apt_source_files)
sources="$(debian_sources "${source_files[@]}")"
[ -n "$sources" ] || die "no Debian '$SUITE' entries in /etc/apt/sources.list or /etc/apt/sources.list.d/; cannot pick a mirror" 7
log "mirrors from apt sources:"
printf '%s\n' "$sources" | sed 's/^/[setup]   /'

mapfile -t packages < <(grep -v '^[[:space:]]*$' "$PACKAGES_FILE")
rootfs="$(mktemp -d /var/tmp/hangar-base.XXXXXX)"
cleanup() {
  # mmdebstrap mounts /proc, /sys and /dev inside the tree; an interrupted run can leave them.
  findmnt -rno TARGET | grep -F "$rootfs/" | sort -r | xargs -r umount -l 2>/dev/null || true
  rm -rf --one-file-system "$rootfs"
}
trap cleanup EXIT

log "mmdebstrap $SUITE (variant minbase) into $rootfs with: ${packages[*]}"
# Docs, man pages and translations are left out, as in Debian's slim images; the
# dpkg filter stays in the image, so packages added later are trimmed too.
printf '%s\n' "$sources" | mmdebstrap \
  --variant=minbase \
  --include="$(IFS=,; echo "${packages[*]}")" \
  --dpkgopt='path-exclude=/usr/share/man/*' \
  --dpkgopt='path-exclude=/usr/share/info/*' \
  --dpkgopt='path-exclude=/usr/share/locale/*' \
  --dpkgopt='path-exclude=/usr/share/doc/*' \
  --dpkgopt='path-include=/usr/share/doc/*/copyright' \
  --quiet \
  "$SUITE" "$rootfs" - >/tmp/hangar-mmdebstrap.log 2>&1 \
  || { tail -n 30 /tmp/hangar-mmdebstrap.log >&2; die "mmdebstrap failed (log: /tmp/hangar-mmdebstrap.log)" 8; }
log "root file system ready after $(elapsed "$start") s ($(du -sh --one-file-system "$rootfs" | cut -f1))"

tar -C "$rootfs" --numeric-owner -c . | docker import \
  --change "LABEL dev.hangar.packages-sha=$packages_sha" \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV LANG=C.UTF-8' \
  --change 'CMD ["bash"]' \
  - "$IMAGE" >/dev/null || die "docker import of $IMAGE failed" 9

log "built $IMAGE in $(elapsed "$start") s ($(docker image inspect -f '{{.Size}}' "$IMAGE" | awk '{ printf "%.0f MB", $1 / 1e6 }'))"
