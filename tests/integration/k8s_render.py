#!/usr/bin/env python3
"""`incarne k8s render` prints manifests a cluster takes, with the fields docs/k8s.md promises;
bad input is refused with exit 2 and nothing on stdout; `collect --dry-run` names the kubectl
commands it would run. No cluster and no network: the manifests are read with a YAML parser
(and by `kubectl create --dry-run=client` when that works offline).

  tests/integration/k8s_render.py build/src/incarne
"""
import os
import subprocess
import sys
import time

from engine_common import SKIP, binary, check, run, tmpdir, write

try:
    import yaml
except ImportError:
    print("SKIP: python3 yaml (PyYAML) is missing")
    sys.exit(SKIP)

incarne = binary()
d = tmpdir()
plan = write(os.path.join(d, "Big_Test.toml"), """
[target]
address = "10.0.0.1:80"
nib = "http"
timeout = "7s"
[ammo]
uris = ["/a", "/b"]
headers = ["Host: example"]
[load]
schedule = "const(100, 10s)"
[workers]
threads = 3
[results]
dir = "unused"
""")


def render(*args):
    return run(incarne, ["k8s", "render"] + list(args))


def docs_of(text):
    docs = [x for x in yaml.safe_load_all(text) if x]
    return (next(x for x in docs if x["kind"] == "ConfigMap"),
            next(x for x in docs if x["kind"] == "Job"), docs)


# ---- the fields
before = time.time()
p = render(plan, "--shards", "4", "--image", "reg.example/incarne:1", "--namespace", "load",
           "--start-in", "90s", "--node-selector", "role=load", "--node-selector", "zone=a",
           "--host-network", "--memory", "2Gi")
check(p.returncode == 0, "render (%s)" % p.stderr.strip())
cm, job, docs = docs_of(p.stdout)
check(len(docs) == 2, "two objects: a ConfigMap and a Job")
check(cm["apiVersion"] == "v1" and job["apiVersion"] == "batch/v1", "apiVersions v1, batch/v1")
name = "incarne-big-test"
check(cm["metadata"]["name"] == job["metadata"]["name"] == name,
      "named after the plan file: %s" % job["metadata"]["name"])
check(cm["metadata"]["namespace"] == job["metadata"]["namespace"] == "load", "namespace load")
check(set(cm["data"]) == {"plan.toml"} and "binaryData" not in cm,
      "ConfigMap: plan.toml only (ammo.uris stay in the plan)")
planfile = write(os.path.join(d, "rendered.toml"), cm["data"]["plan.toml"])
c = run(incarne, ["check", planfile])
check(c.returncode == 0, "incarne check accepts the ConfigMap's plan (%s)" % c.stderr.strip())
check("threads = 3" in c.stdout, "workers.threads = the plan's 3 (the pod's cores)")
s = job["spec"]
check(s["completionMode"] == "Indexed", "completionMode: Indexed")
check(s["completions"] == s["parallelism"] == 4, "completions = parallelism = 4")
check(s["backoffLimit"] == 0, "backoffLimit 0: a dead pod is not run again late")
pod = s["template"]["spec"]
labels = s["template"]["metadata"]["labels"]
check(labels.get("app.kubernetes.io/instance") == name, "pods labelled with the Job's name")
check(pod["restartPolicy"] == "Never", "restartPolicy: Never")
check(pod["terminationGracePeriodSeconds"] >= 7 + 30,
      "terminationGracePeriodSeconds %d covers target.timeout 7 s and the upload"
      % pod["terminationGracePeriodSeconds"])
check(pod["hostNetwork"] is True and pod["dnsPolicy"] == "ClusterFirstWithHostNet",
      "--host-network")
check(pod["nodeSelector"] == {"role": "load", "zone": "a"}, "--node-selector twice")
aa = pod["affinity"]["podAntiAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"][0]
term = aa["podAffinityTerm"]
check(term["topologyKey"] == "kubernetes.io/hostname" and
      term["labelSelector"]["matchLabels"].items() <= labels.items(),
      "pod anti-affinity spreads the Job's own pods over nodes")
ctr = pod["containers"][0]
check(ctr["image"] == "reg.example/incarne:1", "--image")
res = ctr["resources"]
check(res["requests"] == res["limits"] == {"cpu": "3", "memory": "2Gi"},
      "requests = limits, whole cores (Guaranteed QoS, static CPU manager): %s" % res)
start_at = int(job["metadata"]["annotations"]["incarne.io/start-at"])
check(before + 89 <= start_at <= time.time() + 91, "start-at is now + 90 s, whole seconds")
script = ctr["command"][2]
check(ctr["command"][:2] == ["/bin/sh", "-c"], "the command is a shell script")
check('--shard "${k}/4"' in script and "--start-at %d " % start_at in script and
      "k=${JOB_COMPLETION_INDEX" in script,
      "the script runs shard $JOB_COMPLETION_INDEX/4 at the one --start-at")
check("$(" not in script, "no $( in the script: the kubelet's $(VAR) expansion leaves it alone")
mounts = {m["name"]: m["mountPath"] for m in ctr["volumeMounts"]}
vols = {v["name"]: v for v in pod["volumes"]}
check(vols["plan"]["configMap"]["name"] == name and "emptyDir" in vols["run"],
      "volumes: the ConfigMap and an emptyDir for the run directory")
check("%s/plan.toml" % mounts["plan"] in script and mounts["run"] in script,
      "the script reads the plan and writes the run where they are mounted")

# kubectl's own parser, when it works without a cluster.
yml = write(os.path.join(d, "job.yaml"), p.stdout)
try:
    k = subprocess.run(["kubectl", "create", "--dry-run=client", "-o", "name", "-f", yml,
                        "--validate=false"], capture_output=True, text=True, timeout=30)
    if k.returncode == 0:
        check(sorted(k.stdout.split()) == ["configmap/" + name, "job.batch/" + name],
              "kubectl create --dry-run=client reads both objects")
    else:
        print("note: kubectl --dry-run=client needs a cluster here: %s" % k.stderr.strip()[:200])
except (OSError, subprocess.TimeoutExpired) as e:
    print("note: no kubectl check: %s" % e)

# Defaults: name, image, one core, the default start.
check("securityContext" not in ctr, "no securityContext unless asked")
p = render(plan, "--shards", "1", "--cpus", "2", "--set", "load.schedule=const(5, 1s)",
           "--seccomp-unconfined")
check(p.returncode == 0, "render with defaults (%s)" % p.stderr.strip())
cm, job, _ = docs_of(p.stdout)
ctr = job["spec"]["template"]["spec"]["containers"][0]
check(ctr["image"].startswith("incarne:"), "default image incarne:VERSION (%s)" % ctr["image"])
check("namespace" not in job["metadata"], "no namespace unless given (kubectl's)")
check(ctr["resources"]["limits"]["cpu"] == "2" and "threads = 2" in cm["data"]["plan.toml"],
      "--cpus 2: two cores and two workers")
check("const(5, 1s)" in cm["data"]["plan.toml"], "--set applies")
p = render(plan, "--shards", "1", "--set", "target.tls.ca_file=/etc/ssl/ca.pem")
check(p.returncode == 0 and "note: target.tls.ca_file" in p.stderr and "image" in p.stderr,
      "a file the plan names: a note that the pods need it too (%s)" % p.stderr.strip())
check(ctr["securityContext"] == {"seccompProfile": {"type": "Unconfined"}},
      "--seccomp-unconfined: the container's seccomp profile")

# ---- the ammo: compiled into the ConfigMap, or named with --ammo-path when too big
small = write(os.path.join(d, "small.uri"), "[Host: a]\n/x\n/y\n")
aplan = write(os.path.join(d, "ammo.toml"), """
[target]
address = "10.0.0.1:80"
nib = "http"
[ammo]
file = "%s"
[load]
schedule = "const(10, 1s)"
""" % small)
p = render(aplan, "--shards", "2")
check(p.returncode == 0, "render with a small ammo file (%s)" % p.stderr.strip())
cm, job, _ = docs_of(p.stdout)
check(set(cm["binaryData"]) == {"ammo.ammo"}, "compiled ammo in binaryData")
check('/ammo.ammo"' in cm["data"]["plan.toml"] and 'format = "ammo"' in cm["data"]["plan.toml"],
      "the plan reads the compiled ammo from the ConfigMap")
big = os.path.join(d, "big.uri")
with open(big, "w") as f:
    f.write("[Host: a]\n")
    for i in range(40000):
        f.write("/%040d\n" % i)
bplan = write(os.path.join(d, "bigammo.toml"), open(aplan).read().replace(small, big))
p = render(bplan, "--shards", "2")
check(p.returncode == 2 and "900 KiB" in p.stderr and "--ammo-path" in p.stderr and not p.stdout,
      "ammo over 900 KiB: exit 2 naming --ammo-path, nothing printed (%s)" % p.stderr.strip())
p = render(bplan, "--shards", "2", "--ammo-path", "/var/lib/incarne/k8s/ammo/big.ammo",
           "--ammo-claim", "ammo-pvc")
check(p.returncode == 0, "--ammo-path with --ammo-claim (%s)" % p.stderr.strip())
cm, job, _ = docs_of(p.stdout)
pod = job["spec"]["template"]["spec"]
check("binaryData" not in cm and "/var/lib/incarne/k8s/ammo/big.ammo" in cm["data"]["plan.toml"],
      "the plan names the ammo path, the ConfigMap holds no ammo")
vols = {v["name"]: v for v in pod["volumes"]}
check(vols["ammo"]["persistentVolumeClaim"] == {"claimName": "ammo-pvc", "readOnly": True},
      "the claim is mounted read-only")

# ---- refused: exit 2, a message, nothing on stdout
now = int(time.time())
for args, says in [
        (["--shards", "0"], "--shards"),
        ([], "--shards N is required"),
        (["--shards", "2", "--start-at", str(now - 10)], "in the past"),
        (["--shards", "2", "--start-at", str(now + 2 * 86400)], "at most a day"),
        (["--shards", "2", "--start-in", "0s"], "more than 0"),
        (["--shards", "2", "--start-in", "25h"], "at most a day"),
        (["--shards", "2", "--start-in", "1x"], "--start-in"),
        (["--shards", "2", "--name", "Bad_Name"], "--name"),
        (["--shards", "2", "--node-selector", "novalue"], "KEY=VALUE"),
        (["--shards", "2", "--memory", "lots"], "--memory"),
        (["--shards", "2", "--ammo-claim", "x"], "--ammo-path"),
        (["--shards", "2", "--set", "load.schedule=bogus(1)"], "schedule")]:
    p = render(plan, *args)
    check(p.returncode == 2 and says in p.stderr and p.stdout == "",
          "refused %s: exit 2, says %r (%d: %s)" % (args, says, p.returncode, p.stderr.strip()))
usl = write(os.path.join(d, "usl.toml"), """
[target]
nib = "dummy"
[load]
model = "usl"
[load.usl]
instances = "1,2,4"
""")
p = render(usl, "--shards", "2")
check(p.returncode == 2 and "cannot be sharded" in p.stderr and p.stdout == "",
      "load.model usl: refused, it cannot be sharded (%s)" % p.stderr.strip())
p = render(os.path.join(d, "nope.toml"), "--shards", "2")
check(p.returncode == 2 and "nope.toml" in p.stderr, "a missing plan: exit 2 naming it")

# ---- collect: the kubectl commands, and refusals
p = run(incarne, ["k8s", "collect", name, "--namespace", "load", "-o", os.path.join(d, "c"),
                  "--dry-run"])
check(p.returncode == 0, "collect --dry-run (%s)" % p.stderr.strip())
lines = p.stdout.splitlines()
check(len(lines) == 2 and lines[0].startswith("kubectl --namespace load get pods -l "
                                              "app.kubernetes.io/instance=" + name),
      "dry run: first lists the Job's pods by label: %s" % lines[:1])
check("logs POD -c incarne" in lines[1], "then reads each pod's log: %s" % lines[1:])
check(not os.path.exists(os.path.join(d, "c")), "a dry run writes nothing")
junk = write(os.path.join(d, "junk.log"), "hello\nincarne run: something\n")
p = run(incarne, ["k8s", "collect", "--logs", junk, "-o", os.path.join(d, "c2")])
check(p.returncode == 2 and "no shard results" in p.stderr,
      "a log without shard blocks: exit 2 (%s)" % p.stderr.strip())
cut = write(os.path.join(d, "cut.log"), "incarne-k8s-shard 0/2 begin\nH4sIAAAA\n")
p = run(incarne, ["k8s", "collect", "--logs", cut, "-o", os.path.join(d, "c3")])
check(p.returncode == 2 and "shard 0 of 2" in p.stderr and "ends inside" in p.stderr,
      "a log cut inside a shard's block: named (%s)" % p.stderr.strip())
print("PASS")
