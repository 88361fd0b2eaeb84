# Shared by .ci/image-layout.sh and .ci/helm.sh, which run the built service against a simulator:
# a loopback image server and the Redfish checks both make (a System, a Reset, an InsertMedia
# whose image the simulated CDI importer really fetches, an EjectMedia). Sourced; the caller
# defines step and die and sets work (a temporary directory) and node (a node binary).

# The processes the stage started, stopped on exit (trap cleanup EXIT) before $work is removed.
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}

# wait_for SECONDS DESCRIPTION COMMAND...: COMMAND succeeds within SECONDS, or die.
wait_for() {
  local seconds="$1" what="$2"
  shift 2
  for _ in $(seq $((seconds * 2))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.5; done
  die "$what"
}

# json EXPRESSION: evaluates EXPRESSION (of v, the JSON on stdin) and prints it.
json() { "$node" -e "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>{const v=JSON.parse(s);console.log($1)})"; }

# start_image_server: serves an ISO 9660 image as $work/images/installer.iso on loopback; sets
# image_port.
start_image_server() {
  mkdir -p "$work/images"
  python3 - "$work/images/installer.iso" <<'PY'
import sys
image = bytearray(18 * 2048)  # ISO 9660: primary volume descriptor at sector 16
image[16 * 2048:16 * 2048 + 6] = b'\x01CD001'
image[17 * 2048:17 * 2048 + 6] = b'\xffCD001'
open(sys.argv[1], 'wb').write(image)
PY
  python3 -u -m http.server 0 --bind 127.0.0.1 --directory "$work/images" >"$work/images.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 60); do
    image_port="$(sed -n 's/.*port \([0-9]*\).*/\1/p' "$work/images.log" | head -n1)"
    [ -n "$image_port" ] && break
    sleep 0.5
  done
  [ -n "${image_port:-}" ] || die "image server did not start"
}

# check_redfish URL USER PASSWORD: the first System, a Reset, InsertMedia and EjectMedia.
check_redfish() {
  local redfish="$1" system media image code reset_type=ForceRestart
  local auth=(-u "$2:$3" -H 'content-type: application/json')
  step "a System, a Reset"
  system="$(curl -fsS "${auth[@]}" "$redfish/redfish/v1/Systems" | json "v.Members[0]['@odata.id']")"
  [ -n "$system" ] || die "no System"
  power() { curl -fsS "${auth[@]}" "$redfish$system" | json "v.PowerState"; }
  [ "$(power)" = On ] || reset_type=On
  code="$(curl -s -o "$work/reset.json" -w '%{http_code}' "${auth[@]}" -X POST \
    -d "{\"ResetType\":\"$reset_type\"}" "$redfish$system/Actions/ComputerSystem.Reset")"
  case "$code" in 200 | 202 | 204) ;; *) die "Reset answered $code: $(cat "$work/reset.json")" ;; esac
  powered_on() { [ "$(power)" = On ]; }
  wait_for 90 "the System never powered on after Reset $reset_type" powered_on

  step "InsertMedia, EjectMedia"
  media="$(curl -fsS "${auth[@]}" "$redfish$system/VirtualMedia" | json "v.Members[0]['@odata.id']")"
  image="http://127.0.0.1:$image_port/installer.iso"
  code="$(curl -s -o "$work/insert.json" -w '%{http_code}' "${auth[@]}" -X POST \
    -d "{\"Image\":\"$image\"}" "$redfish$media/Actions/VirtualMedia.InsertMedia")"
  case "$code" in 200 | 202 | 204) ;; *) die "InsertMedia answered $code: $(cat "$work/insert.json")" ;; esac
  inserted() { curl -fsS "${auth[@]}" "$redfish$media" | json "v.Inserted && v.Image" | grep -qx "$image"; }
  wait_for 90 "the medium never showed as inserted" inserted
  grep -q 'GET /installer.iso' "$work/images.log" || die "the importer never fetched the image"
  code="$(curl -s -o "$work/eject.json" -w '%{http_code}' "${auth[@]}" -X POST -d '{}' \
    "$redfish$media/Actions/VirtualMedia.EjectMedia")"
  case "$code" in 200 | 202 | 204) ;; *) die "EjectMedia answered $code: $(cat "$work/eject.json")" ;; esac
  ejected() { curl -fsS "${auth[@]}" "$redfish$media" | json "v.Inserted" | grep -qx false; }
  wait_for 60 "the medium never showed as ejected" ejected
}
