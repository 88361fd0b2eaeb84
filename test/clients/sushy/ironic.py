#!/usr/bin/env python3
"""Drives a Redfish service with sushy the way OpenStack Ironic's redfish drivers do.

The call sequences follow clients-and-peers.md section 4.4 (registration, power-state sync, the
redfish-virtual-media boot interface, soft power actions, error paths; out-of-band inspection,
BIOS and secure boot in inspection.py), written against the sushy
that Debian ships (4.3.3: no System.virtual_media, Location-only session URIs).

Protocol: one JSON object per stdin line, {"step": <name>, ...arguments}; one JSON line per step
on stdout, {"ok": true, "result": ...} or {"ok": false, "error": ..., "type": ...}, both with
"exchanges": every HTTP request sushy made during the step, as the server answered it. The test
drives the phases and checks the Kubernetes objects in between. sushy's own log goes to stderr.

Credentials come from the environment (BMC_USERNAME, BMC_PASSWORD), never from argv.
"""

import argparse
import json
import logging
import os
import sys
import time

import sushy
from sushy import auth as sushy_auth
from sushy import connector as sushy_connector
from sushy import exceptions
from sushy.resources.manager import virtual_media as sushy_vmedia

from inspection import Inspection

# Ironic's mapping of Redfish power states (drivers/modules/redfish/power.py); anything else
# (Paused, a missing value) is an error for Ironic.
IRONIC_POWER = {
    sushy.POWER_STATE_ON: "power on",
    sushy.POWER_STATE_POWERING_ON: "power on",
    sushy.POWER_STATE_OFF: "power off",
    sushy.POWER_STATE_POWERING_OFF: "power off",
}

# Ironic waits 60 s (power_state_change_timeout) for a power change; polls back off from 1 s.
# The simulator is instant, so polls start sooner here; the deadline stays Ironic's.
POWER_TIMEOUT_S = 60
FIRST_POLL_S = 0.05
MAX_POLL_S = 1.0


class Recorder:
    """Every HTTP exchange sushy makes, through the connector's response callback."""

    def __init__(self):
        self.exchanges = []

    def __call__(self, response):
        request = response.request
        headers = {k.lower(): v for k, v in request.headers.items()}
        body = request.body
        if isinstance(body, bytes):
            body = body.decode("utf-8", "replace")
        parsed = None
        if body:
            try:
                parsed = json.loads(body)
            except ValueError:
                parsed = body
        if isinstance(parsed, dict) and "Password" in parsed:
            parsed = dict(parsed, Password="***")
        authorization = headers.get("authorization", "")
        self.exchanges.append(
            {
                "method": request.method,
                "path": request.path_url,
                "status": response.status_code,
                "auth": "basic"
                if authorization.startswith("Basic ")
                else "token"
                if "x-auth-token" in headers
                else "none",
                "ifMatch": headers.get("if-match"),
                "contentType": headers.get("content-type"),
                "body": parsed,
                "location": response.headers.get("Location"),
                "xAuthToken": "X-Auth-Token" in response.headers,
                "responseBody": response.text[:2000] if response.status_code >= 400 else None,
            }
        )

    def take(self):
        taken, self.exchanges = self.exchanges, []
        return taken


class StepFailed(Exception):
    pass


class Ironic(Inspection):
    def __init__(self, url, auth_kind, system_path, recorder):
        self.url = url
        self.auth_kind = auth_kind
        self.system_path = system_path
        self.recorder = recorder
        self.root = None
        self.auth = None

    # ---- helpers ---------------------------------------------------------------------------

    def system(self):
        if self.root is None:
            raise StepFailed("not registered: the register step failed (see its report)")
        return self.root.get_system(self.system_path)

    def wait_power(self, accepted, timeout=POWER_TIMEOUT_S):
        """Polls the System until PowerState is in `accepted`; returns the states seen."""
        seen = []
        delay = FIRST_POLL_S
        deadline = time.monotonic() + timeout
        while True:
            state = self.system().power_state
            value = state.value if state is not None else None
            if not seen or seen[-1] != value:
                seen.append(value)
            if value in accepted:
                return seen
            if time.monotonic() > deadline:
                raise StepFailed("power state stayed %s, wanted one of %s" % (seen, accepted))
            time.sleep(delay)
            delay = min(delay * 2, MAX_POLL_S)

    def media_resources(self, system):
        """The VirtualMedia collections Ironic 24.1+ considers: the System's own (sushy 4.3.3 has
        no System.virtual_media, so the link is followed with sushy's collection class), then
        every Manager in Links.ManagedBy that has one."""
        found = []
        link = (system.json.get("VirtualMedia") or {}).get("@odata.id")
        if link:
            found.append(
                (
                    "system",
                    sushy_vmedia.VirtualMediaCollection(
                        self.root._conn, link, redfish_version=self.root.redfish_version
                    ),
                )
            )
        for manager in system.managers:
            try:
                found.append(("manager", manager.virtual_media))
            except exceptions.MissingAttributeError:
                continue
        return found

    @staticmethod
    def describe_media(member):
        return {
            "path": member.path,
            "id": member.identity,
            "name": member.name,
            "mediaTypes": [t.value for t in member.media_types],
            "inserted": member.inserted,
            "image": member.image,
            "connectedVia": member.connected_via.value if member.connected_via else None,
        }

    @staticmethod
    def is_cd(member):
        return any(
            t in (sushy.VIRTUAL_MEDIA_CD, sushy.VIRTUAL_MEDIA_DVD) for t in member.media_types
        )

    def eject_all(self, system):
        """Ironic's _eject_vmedia: every inserted CD/DVD slot of every media collection."""
        ejected = []
        for _, collection in self.media_resources(system):
            for member in collection.get_members():
                if self.is_cd(member) and member.inserted:
                    member.eject_media()
                    ejected.append(member.path)
        return ejected

    def boot_state(self, system):
        boot = system.boot
        return {
            "target": boot.target.value if boot.target else None,
            "enabled": boot.enabled.value if boot.enabled else None,
            "mode": boot.mode.value if boot.mode else None,
        }

    # ---- steps -----------------------------------------------------------------------------

    def step_register(self, args):
        # Sushy() reads the service root before it authenticates, then logs in.
        user, password = os.environ["BMC_USERNAME"], os.environ["BMC_PASSWORD"]
        if self.auth_kind == "session":
            self.auth = sushy_auth.SessionAuth(username=user, password=password)
        else:
            self.auth = sushy_auth.BasicAuth(username=user, password=password)
        conn = sushy_connector.Connector(
            self.url, verify=False, response_callback=self.recorder
        )
        self.root = sushy.Sushy(self.url, auth=self.auth, connector=conn)
        system = self.system()
        managers = [
            {
                "id": m.identity,
                "type": m.manager_type.value if m.manager_type else None,
                "firmware": m.firmware_version,
            }
            for m in system.managers
        ]
        state = system.power_state.value if system.power_state else None
        return {
            "root": {
                "id": self.root.identity,
                "name": self.root.name,
                "uuid": self.root.uuid,
                "redfishVersion": self.root.redfish_version,
                "vendor": self.root.json.get("Vendor"),
                "product": self.root.product,
            },
            "session": {
                "token": self.auth.get_session_key() is not None,
                "uri": self.auth.get_session_resource_id(),
            }
            if self.auth_kind == "session"
            else None,
            "system": {
                "id": system.identity,
                "uuid": system.uuid,
                "powerState": state,
                "ironicPower": IRONIC_POWER.get(system.power_state),
                "manufacturer": system.manufacturer,
                "boot": self.boot_state(system),
                "resetTypes": sorted(v.value for v in system.get_allowed_reset_system_values()),
            },
            "managers": managers,
        }

    def step_power_sync(self, args):
        """The periodic power-state sync: GET System, map the state as Ironic does."""
        states = []
        for _ in range(args.get("polls", 3)):
            system = self.system()
            mapped = IRONIC_POWER.get(system.power_state)
            if mapped is None:
                raise StepFailed("Ironic cannot map PowerState %r" % system.power_state)
            states.append(mapped)
        return {"states": states}

    def step_power_off(self, args):
        """set_power_state(POWER_OFF): ForceOff when on, then poll for Off or PoweringOff."""
        system = self.system()
        if IRONIC_POWER.get(system.power_state) != "power off":
            system.reset_system(sushy.RESET_TYPE_FORCE_OFF)
        seen = self.wait_power(["Off", "PoweringOff"])
        # The deploy goes on from a settled state; PoweringOff counts as off for Ironic.
        return {"seen": seen, "final": self.wait_power(["Off"])[-1]}

    def step_find_media(self, args):
        system = self.system()
        return {
            where: [self.describe_media(m) for m in collection.get_members()]
            for where, collection in self.media_resources(system)
        }

    def step_eject(self, args):
        return {"ejected": self.eject_all(self.system())}

    def step_eject_slot(self, args):
        """EjectMedia on the CD slot whatever it holds, as older Ironic (which did not check
        Inserted) and sushy-cli do. sushy swallows most errors here, so the test reads the
        exchange's status."""
        collection = dict(self.media_resources(self.system())).get(args["via"])
        if collection is None:
            raise StepFailed("no VirtualMedia collection via %s" % args["via"])
        for member in collection.get_members():
            if self.is_cd(member):
                member.eject_media()
                member.refresh()
                return {"slot": self.describe_media(member)}
        raise StepFailed("no CD or DVD slot via %s" % args["via"])

    def step_insert(self, args):
        """_insert_vmedia: eject on the chosen resource, then the first CD/DVD slot gets the image.
        `via` picks the resource: "system" (Ironic 24.1+ when the System links VirtualMedia) or
        "manager" (older Ironic and sushy 4.3.3)."""
        system = self.system()
        resources = dict(self.media_resources(system))
        collection = resources.get(args["via"])
        if collection is None:
            raise StepFailed("no VirtualMedia collection via %s" % args["via"])
        for member in collection.get_members():
            if self.is_cd(member) and member.inserted:
                member.eject_media()
        for member in collection.get_members():
            if self.is_cd(member):
                member.insert_media(args["image"], inserted=True, write_protected=True)
                member.refresh()
                return {"slot": self.describe_media(member)}
        raise StepFailed("no CD or DVD slot via %s" % args["via"])

    def step_sync_boot_mode(self, args):
        """boot_mode_utils.sync_boot_mode: PATCH only BootSourceOverrideMode when it differs,
        then re-read; the new mode must read back at once (else Ironic reboots and waits)."""
        wanted = sushy.BOOT_SOURCE_MODE_UEFI if args["mode"] == "UEFI" else sushy.BOOT_SOURCE_MODE_BIOS
        system = self.system()
        before = system.boot.mode.value if system.boot.mode else None
        if system.boot.mode != wanted:
            system.set_system_boot_options(mode=wanted)
        system = self.system()
        after = system.boot.mode.value if system.boot.mode else None
        if system.boot.mode != wanted:
            raise StepFailed("boot mode reads %s after setting %s" % (after, args["mode"]))
        return {"before": before, "after": after}

    def step_set_boot(self, args):
        """_set_boot_device: Target always; Enabled only when it differs from what is reported."""
        target = sushy.BOOT_SOURCE_TARGET_CD if args["target"] == "Cd" else sushy.BOOT_SOURCE_TARGET_HDD
        desired = (
            sushy.BOOT_SOURCE_ENABLED_CONTINUOUS
            if args.get("persistent")
            else sushy.BOOT_SOURCE_ENABLED_ONCE
        )
        system = self.system()
        enabled = None if system.boot.enabled == desired else desired
        system.set_system_boot_options(target, enabled=enabled)
        return {"boot": self.boot_state(self.system())}

    def step_power_on(self, args):
        """set_power_state(POWER_ON): Reset On, then poll; the test wants it really On."""
        system = self.system()
        if IRONIC_POWER.get(system.power_state) != "power on":
            system.reset_system(sushy.RESET_TYPE_ON)
        return {"seen": self.wait_power(["On"])}

    def step_soft_power_off(self, args):
        self.system().reset_system(sushy.RESET_TYPE_GRACEFUL_SHUTDOWN)
        return {"seen": self.wait_power(["Off"])}

    def step_soft_reboot(self, args):
        self.system().reset_system(sushy.RESET_TYPE_GRACEFUL_RESTART)
        return {"seen": self.wait_power(["On"])}

    def step_state(self, args):
        system = self.system()
        return {
            "powerState": system.power_state.value if system.power_state else None,
            "boot": self.boot_state(system),
            "media": self.step_find_media(args),
        }

    def step_reset_outside_allowable(self, args):
        """A ResetType the System does not advertise: sushy must refuse it before any request;
        the same value POSTed raw must be refused by the service with a Redfish error."""
        system = self.system()
        value = sushy.ResetType(args["resetType"])
        try:
            system.reset_system(value)
        except exceptions.InvalidParameterValueError as error:
            local = str(error)
        else:
            raise StepFailed("sushy sent %s although it is not allowed" % args["resetType"])
        target = system._get_reset_action_element().target_uri
        try:
            self.root._conn.post(target, data={"ResetType": args["resetType"]})
        except exceptions.HTTPError as error:
            return {
                "local": local,
                "service": {"status": error.status_code, "code": error.code, "detail": error.detail},
            }
        raise StepFailed("the service accepted ResetType %s" % args["resetType"])

    def step_logout(self, args):
        """What sushy does when Ironic drops the cached client: DELETE the session."""
        if self.auth is None or self.auth.get_session_resource_id() is None:
            raise StepFailed("no session to delete")
        self.auth.close()
        return {"closed": True}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="scheme://host:port of the service")
    parser.add_argument("--auth", choices=["session", "basic"], required=True)
    parser.add_argument("--system", required=True, help="the System path (redfish_system_id)")
    options = parser.parse_args()
    logging.basicConfig(
        stream=sys.stderr, level=logging.INFO, format="%(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("urllib3").setLevel(logging.WARNING)
    recorder = Recorder()
    ironic = Ironic(options.url, options.auth, options.system, recorder)
    for line in sys.stdin:
        if not line.strip():
            continue
        command = json.loads(line)
        step = getattr(ironic, "step_" + command["step"], None)
        try:
            if step is None:
                raise StepFailed("unknown step %s" % command["step"])
            reply = {"ok": True, "result": step(command)}
        except Exception as error:  # the test prints it with the exchanges and sushy's log
            logging.exception("step %s failed", command["step"])
            reply = {"ok": False, "error": str(error), "type": type(error).__name__}
        reply["step"] = command["step"]
        reply["exchanges"] = recorder.take()
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
