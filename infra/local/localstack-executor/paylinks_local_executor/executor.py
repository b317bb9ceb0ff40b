"""The local runtime executor: one aws-lambda-rie process per LocalStack
execution environment, running the function's bootstrap."""

import json
import logging
import os
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import requests

from localstack import config
from localstack.aws.api.lambda_ import PackageType
from localstack.services.lambda_.invocation.lambda_models import (
    FunctionVersion,
    InvocationResult,
)
from localstack.services.lambda_.invocation.runtime_executor import (
    LambdaRuntimeException,
    RuntimeExecutor,
)
from localstack.utils.net import get_free_tcp_port

LOG = logging.getLogger(__name__)

# How long the emulator may take to listen after its start.
START_TIMEOUT_S = 15.0
# An invocation may take the function's timeout and this much more (the
# emulator answers a timed-out invocation itself).
INVOKE_SLACK_S = 10.0


def _rie() -> str:
    path = os.environ.get("PAYLINKS_RIE", "")
    if not path or not os.access(path, os.X_OK):
        raise LambdaRuntimeException(
            f"PAYLINKS_RIE={path!r} is not an executable aws-lambda-rie "
            "(infra/local/localstack.sh install builds it)"
        )
    return path


def _extra_env() -> dict[str, str]:
    """PAYLINKS_LAMBDA_EXTRA_ENV: KEY=VALUE pairs separated by spaces."""
    out = {}
    for pair in os.environ.get("PAYLINKS_LAMBDA_EXTRA_ENV", "").split():
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise LambdaRuntimeException(
                f"PAYLINKS_LAMBDA_EXTRA_ENV: {pair!r} is not KEY=VALUE"
            )
        out[key] = value
    return out


def _log_dir() -> Path:
    d = Path(os.environ.get("PAYLINKS_LAMBDA_LOG_DIR") or Path(config.dirs.tmp) / "lambda-local")
    d.mkdir(parents=True, exist_ok=True)
    return d


def _function_error(status: int, body: bytes) -> bool:
    """Whether the emulator's answer is a function error: a status other
    than 200 (init or runtime failure, 502), or the runtime's error document
    ({"errorMessage": ..., "errorType": ...}) the Go runtime posts to
    /invocation/error (the emulator drops the X-Amz-Function-Error header)."""
    if status != 200:
        return True
    try:
        doc = json.loads(body or b"null")
    except ValueError:
        return False
    return isinstance(doc, dict) and "errorType" in doc and "errorMessage" in doc


class LocalRuntimeExecutor(RuntimeExecutor):
    """Runs one execution environment as a local process: aws-lambda-rie on a
    free loopback port, its Runtime API on another, the function's bootstrap
    under it. LocalStack sends one invocation at a time per environment, as
    the emulator expects."""

    def __init__(self, id: str, function_version: FunctionVersion) -> None:
        super().__init__(id=id, function_version=function_version)
        self.proc: subprocess.Popen | None = None
        self.port: int | None = None
        self.log_path = _log_dir() / f"{function_version.id.function_name}-{id}.log"
        self.lock = threading.Lock()

    def start(self, env_vars: dict[str, str]) -> None:
        if self.function_version.config.package_type != PackageType.Zip:
            raise LambdaRuntimeException("the local executor runs zip packages only")
        code = Path(str(self.function_version.config.code.get_unzipped_code_location()))
        bootstrap = code / "bootstrap"
        if not bootstrap.is_file():
            raise LambdaRuntimeException(f"{bootstrap} missing: the zip has no bootstrap at its root")
        bootstrap.chmod(0o755)
        env = {k: str(v) for k, v in env_vars.items()}
        env["LAMBDA_TASK_ROOT"] = str(code)
        env["PATH"] = os.environ.get("PATH", "/usr/bin:/bin")
        env.update(_extra_env())
        self.port = get_free_tcp_port()
        api_port = get_free_tcp_port()
        cmd = [
            _rie(),
            "--runtime-interface-emulator-address", f"127.0.0.1:{self.port}",
            "--runtime-api-address", f"127.0.0.1:{api_port}",
            str(bootstrap),
        ]
        LOG.debug("executor %s: %s", self.id, " ".join(cmd))
        log = open(self.log_path, "ab")
        try:
            self.proc = subprocess.Popen(
                cmd, cwd=str(code), env=env, stdin=subprocess.DEVNULL,
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )
        finally:
            log.close()
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise LambdaRuntimeException(
                    f"aws-lambda-rie for {self.function_version.id.function_name} exited with "
                    f"{self.proc.returncode}: {self._tail()}"
                )
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise LambdaRuntimeException(
            f"aws-lambda-rie for {self.function_version.id.function_name} did not listen "
            f"on 127.0.0.1:{self.port} in {START_TIMEOUT_S} s: {self._tail()}"
        )

    def _tail(self, n: int = 2000) -> str:
        try:
            return self.log_path.read_bytes()[-n:].decode("utf-8", "replace")
        except OSError:
            return ""

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)
        except ProcessLookupError:
            pass

    def get_address(self) -> str:
        return "127.0.0.1"

    def get_endpoint_from_executor(self) -> str:
        # The functions reach LocalStack on loopback (AWS_ENDPOINT_URL).
        return "127.0.0.1"

    def get_runtime_endpoint(self) -> str:
        # Only LocalStack's own init calls this endpoint back; the emulator
        # answers invocations synchronously instead.
        return f"http://127.0.0.1:{config.GATEWAY_LISTEN[0].port}/_localstack_lambda/{self.id}"

    def invoke(self, payload: dict[str, str]) -> InvocationResult:
        request_id = payload["invoke-id"]
        if self.proc is None or self.port is None:
            raise LambdaRuntimeException(f"executor {self.id} is not running")
        timeout = float(self.function_version.config.timeout) + INVOKE_SLACK_S
        with self.lock:
            offset = self.log_path.stat().st_size if self.log_path.exists() else 0
            try:
                resp = requests.post(
                    f"http://127.0.0.1:{self.port}/2015-03-31/functions/function/invocations",
                    data=(payload.get("payload") or "").encode("utf-8"),
                    headers={
                        "X-Amzn-RequestId": request_id,
                        "X-Amzn-Trace-Id": payload.get("trace-id") or "",
                    },
                    timeout=timeout,
                    proxies={"http": "", "https": ""},
                )
            except requests.RequestException as e:
                raise LambdaRuntimeException(
                    f"invoke {self.function_version.id.function_name} through aws-lambda-rie: {e}"
                ) from e
            body = resp.content
            is_error = _function_error(resp.status_code, body)
            if body.startswith(b"Task timed out"):
                is_error = True
                body = json.dumps({"errorType": "Sandbox.Timedout", "errorMessage": body.decode()}).encode()
            time.sleep(0.02)  # the runtime's last log lines
            with open(self.log_path, "rb") as fh:
                fh.seek(offset)
                logs = fh.read().decode("utf-8", "replace")
        return InvocationResult(request_id=request_id, payload=body, is_error=is_error, logs=logs)

    def get_logs(self) -> str:
        return self._tail(1 << 20)

    @classmethod
    def prepare_version(cls, function_version: FunctionVersion) -> None:
        _rie()
        if function_version.config.code:
            function_version.config.code.prepare_for_execution()

    @classmethod
    def cleanup_version(cls, function_version: FunctionVersion) -> None:
        pass

    @classmethod
    def validate_environment(cls) -> bool:
        try:
            _rie()
        except LambdaRuntimeException as e:
            LOG.warning("%s", e)
            return False
        return True
