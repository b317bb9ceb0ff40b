"""LocalStack's Lambda without Docker: a runtime executor plugin (LocalStack's
``localstack.lambda.runtime_executor`` plugin point, chosen with
``LAMBDA_RUNTIME_EXECUTOR=local``) that runs each execution environment as a
local process: AWS's Runtime Interface Emulator (``aws-lambda-rie``, path in
``PAYLINKS_RIE``) in front of the function's own ``bootstrap`` from its
unzipped code. LocalStack hands the environment's variables (the function's
configuration, the role's credentials, ``AWS_ENDPOINT_URL`` pointing back at
LocalStack) and each invocation; the emulator runs the Lambda Runtime API
for the bootstrap and answers the invocation.

``PAYLINKS_LAMBDA_EXTRA_ENV`` (``KEY=VALUE`` pairs separated by spaces) is
added to every function's environment: endpoints of services LocalStack's
free edition lacks (SES v2 on moto)."""

from plux import Plugin


class LocalRuntimeExecutorPlugin(Plugin):
    namespace = "localstack.lambda.runtime_executor"
    name = "local"

    def load(self, *args, **kwargs):
        from paylinks_local_executor.executor import LocalRuntimeExecutor

        return LocalRuntimeExecutor
