"""A real OpenSSH server (Debian openssh-server) on a free loopback port, with its own
host key, accepting one generated client key for the test user: the machine's own
ssh configuration, host keys and authorized_keys are never used or changed.

The test user is the user running the tests (root in CI: `edge provision` needs it),
admitted only with the key made here (AllowUsers, AuthorizedKeysFile in the test
directory)."""

from __future__ import annotations

import getpass
import shutil
import subprocess
from pathlib import Path

from devkit.mosquitto import free_port, wait_until

SSHD = shutil.which("sshd") or "/usr/sbin/sshd"


class LocalSshd:
    def __init__(self, workdir: Path) -> None:
        if not Path(SSHD).exists():
            raise FileNotFoundError(
                "sshd not installed (Debian package openssh-server; run scripts/setup.sh)"
            )
        self.dir = Path(workdir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.dir.chmod(0o700)
        self.port = free_port()
        self.user = getpass.getuser()
        self.host_key = self.dir / "host_ed25519"
        self.client_key = self.dir / "client_ed25519"
        for key in (self.host_key, self.client_key):
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
        (self.dir / "authorized_keys").write_text(Path(f"{self.client_key}.pub").read_text())
        (self.dir / "authorized_keys").chmod(0o600)
        host_pub = Path(f"{self.host_key}.pub").read_text().split()
        self.known_hosts = self.dir / "known_hosts"
        self.known_hosts.write_text(f"[127.0.0.1]:{self.port} {host_pub[0]} {host_pub[1]}\n")
        self.config = self.dir / "sshd_config"
        self.config.write_text(
            "\n".join(
                [
                    f"Port {self.port}",
                    "ListenAddress 127.0.0.1",
                    f"HostKey {self.host_key}",
                    f"AuthorizedKeysFile {self.dir}/authorized_keys",
                    f"AllowUsers {self.user}",
                    "PermitRootLogin prohibit-password",
                    "PasswordAuthentication no",
                    "StrictModes no",  # the test directory lives under /tmp (mode 1777)
                    "KbdInteractiveAuthentication no",
                    "UsePAM no",
                    f"PidFile {self.dir}/sshd.pid",
                    "Subsystem sftp internal-sftp",
                    "LogLevel VERBOSE",
                ]
            )
            + "\n"
        )
        self.log = self.dir / "sshd.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> LocalSshd:
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # privilege separation directory
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen([SSHD, "-D", "-e", "-f", str(self.config)], stderr=log)
        if not wait_until(self._answers, 10):
            self.stop()
            raise RuntimeError(f"sshd did not start: {self.log.read_text()[-2000:]}")
        return self

    def _answers(self) -> bool:
        probe = subprocess.run(self.ssh_command("true"), capture_output=True, timeout=10)
        return probe.returncode == 0

    def ssh_options(self) -> list[str]:
        return [
            "-o",
            f"UserKnownHostsFile={self.known_hosts}",
            "-o",
            "StrictHostKeyChecking=yes",
            "-o",
            "BatchMode=yes",
            "-o",
            "IdentitiesOnly=yes",
            "-i",
            str(self.client_key),
            "-p",
            str(self.port),
        ]

    def ssh_command(self, *remote: str) -> list[str]:
        return ["ssh", *self.ssh_options(), f"{self.user}@127.0.0.1", *remote]

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
