"""Ironic's out-of-band inspection and its BIOS and secure-boot calls, through sushy.

The steps follow ironic/drivers/modules/redfish/inspect.py (inspect_hardware), management.py
(set_secure_boot_state) and bios.py (cache_bios_settings, apply_configuration and the check after
the reboot), as they read and write through Debian's sushy 4.3.3. Mixed into ironic.py's Ironic
class: the steps use its registered client and its reply protocol.
"""

import sushy
from sushy import exceptions

GiB = 1024 ** 3

# inspect.py PROCESSOR_INSTRUCTION_SET_MAP: how Ironic turns InstructionSet into cpu_arch.
IRONIC_CPU_ARCH = {
    "x86-64": "x86_64",
    "x86": "i686",
    "ARM-A64": "aarch64",
    "ARM-A32": "arm",
    "IA-64": "ia64",
    "MIPS32": "mips",
    "MIPS64": "mips64",
}

# inspect.py BOOT_MODE_MAP.
IRONIC_BOOT_MODE = {
    sushy.BOOT_SOURCE_MODE_UEFI: "uefi",
    sushy.BOOT_SOURCE_MODE_BIOS: "bios",
}


def smallest_at_least_4gib(sizes):
    """Ironic's choice among the disk sizes of one source."""
    return ([size for size in sizes if size >= 4 * GiB] or [0])[0]


class Inspection:
    """Steps of Ironic's redfish inspect, BIOS and secure-boot interfaces."""

    def step_inspect(self, args):
        """inspect_hardware: the properties Ironic stores and the inventory it builds."""
        system = self.system()
        memory_mb = None
        if system.memory_summary and system.memory_summary.size_gib:
            memory_mb = int(system.memory_summary.size_gib * 1024)
        processors = system.processors
        summary = processors.summary
        first = processors.get_members()[0]
        instruction_set = first.instruction_set.value if first.instruction_set else None
        simple = system.simple_storage
        storage = system.storage
        simple_sizes = list(simple.disks_sizes_bytes)
        volume_sizes = sorted(storage.volumes_sizes_bytes)
        drive_sizes = sorted(storage.drives_sizes_bytes)
        # _detect_local_gb: SimpleStorage, then Storage volumes, else Storage drives; the
        # smaller of the two sources when both answer, less 1 GiB.
        simple_size = smallest_at_least_4gib(simple_sizes)
        storage_size = smallest_at_least_4gib(volume_sizes) or smallest_at_least_4gib(drive_sizes)
        chosen = (
            min(simple_size, storage_size)
            if simple_size and storage_size
            else max(simple_size, storage_size)
        )
        # The inventory's disks: Storage members' Drives (Storage comes first when linked).
        disks = [
            {"name": drive.name, "size": drive.capacity_bytes}
            for member in storage.get_members()
            for drive in member.drives
        ]
        interfaces = []
        for eth in system.ethernet_interfaces.get_members():
            interfaces.append(
                {
                    "name": eth.identity,
                    "mac": eth.mac_address,
                    "state": eth.status.state.value if eth.status and eth.status.state else None,
                    "health": eth.status.health.value if eth.status and eth.status.health else None,
                }
            )
        return {
            "memory_mb": memory_mb,
            "cpu": {
                "count": summary.count,
                "architecture": summary.architecture.value if summary.architecture else None,
                "instructionSet": instruction_set,
                "cpu_arch": IRONIC_CPU_ARCH.get(instruction_set, ""),
                "members": len(processors.get_members()),
            },
            "largest": {
                "simpleStorage": simple.max_size_bytes,
                "storageDrives": storage.max_drive_size_bytes,
                "storageVolumes": storage.max_volume_size_bytes,
            },
            "local_gb": max(0, int(chosen / GiB - 1)),
            "disks": disks,
            "simpleDevices": [
                {"name": d.name, "size": d.capacity_bytes}
                for member in simple.get_members()
                for d in member.devices
            ],
            "interfaces": interfaces,
            "boot_mode": IRONIC_BOOT_MODE.get(system.boot.mode),
        }

    @staticmethod
    def describe_secure_boot(sb):
        return {
            "enabled": sb.enabled,
            "currentBoot": sb.current_boot.value if sb.current_boot else None,
            "mode": sb.mode.value if sb.mode else None,
            "resetKeys": sorted(v.value for v in sb.get_allowed_reset_keys_values()),
        }

    def step_secure_boot(self, args):
        return self.describe_secure_boot(self.system().secure_boot)

    def step_set_secure_boot(self, args):
        """set_secure_boot_state: nothing when already so; refused under legacy BIOS; PATCH, then
        a forced re-read. `rebootNeeded` says whether Ironic would now reboot to see the change
        (it does when SecureBootEnable does not read back at once)."""
        wanted = bool(args["enabled"])
        system = self.system()
        sb = system.secure_boot
        if sb.enabled == wanted:
            return {"changed": False, "rebootNeeded": False, **self.describe_secure_boot(sb)}
        if system.boot.mode == sushy.BOOT_SOURCE_MODE_BIOS:
            raise exceptions.SushyError("Configuring secure boot requires UEFI")
        sb.set_enabled(wanted)
        sb.refresh(force=True)
        return {
            "changed": True,
            "rebootNeeded": sb.enabled != wanted,
            **self.describe_secure_boot(sb),
        }

    def step_bios(self, args):
        """cache_bios_settings, plus the pending attributes and apply times it can use."""
        bios = self.system().bios
        return {
            "attributes": bios.attributes,
            "pending": bios.pending_attributes,
            "applyTimes": [t.value for t in (bios.supported_apply_times or [])],
            "registry": bios.json.get("AttributeRegistry"),
        }

    def step_apply_bios(self, args):
        """apply_configuration, first pass: nothing when every value is already current and not
        pending otherwise; else PATCH the settings object (ApplyTime OnReset when supported).
        Ironic then reboots the node."""
        bios = self.system().bios
        attributes = args["attributes"]
        current = bios.attributes or {}
        pending = bios.pending_attributes or {}
        if all(
            current.get(name) == value and pending.get(name, value) == value
            for name, value in attributes.items()
        ):
            return {"applied": False}
        apply_time = None
        if bios.supported_apply_times and sushy.APPLY_TIME_ON_RESET in bios.supported_apply_times:
            apply_time = sushy.APPLY_TIME_ON_RESET
        bios.set_attributes(attributes, apply_time=apply_time)
        bios.refresh(force=True)
        return {
            "applied": True,
            "applyTime": apply_time.value if apply_time else None,
            "attributes": bios.attributes,
            "pending": bios.pending_attributes,
        }

    def step_verify_bios(self, args):
        """apply_configuration, second pass after the reboot (_get_unapplied_bios_attrs)."""
        bios = self.system().bios
        bios.refresh(force=True)
        requested = args["attributes"]
        current = bios.attributes
        pending = bios.pending_attributes or {}
        purge_pending = len(pending) <= len(requested)
        unapplied = {
            name: value
            for name, value in requested.items()
            if value != current.get(name) or (purge_pending and name in pending)
        }
        return {"unapplied": unapplied, "attributes": current, "pending": pending}
