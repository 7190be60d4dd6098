#!/usr/bin/python
# -*- coding: utf-8 -*-
# Runs on the managed host: vfmgr check, then vfmgr plan (the diff), then vfmgr apply. All the
# logic stays in vfmgr; the module only maps its outcome onto changed/failed/diff.

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: policy
short_description: Make an SR-IOV host match a vfmgr policy
version_added: "1.0.0"
description:
  - Runs C(vfmgr check) on the policy file, then C(vfmgr plan), and, when the plan is not
    empty, C(vfmgr apply). The host evaluates the policy as its own hostname, so one file
    pushed to the whole fleet gives each host the C(pfs) and C(vms) entries whose C(hosts)
    globs match it (see vfmgr-policy(5), FLEETS).
  - In check mode nothing is changed; the plan C(vfmgr apply) would run is the task's diff
    (shown with C(--diff)), and C(changed) says whether it is empty.
  - A policy error fails the task with vfmgr's C(file:line:col) messages; so does a plan error
    (a NIC the policy names is missing, a request the driver cannot take) and a step above
    C(allow), with vfmgr's refusal message.
  - Put the policy file on the host first, with M(ansible.builtin.copy) or
    M(ansible.builtin.template). In check mode those do not write it, so the review would
    plan the file already there; to review the new file, write it to a staging path with
    C(check_mode) off (nothing reads that file) and give the installed path as C(dest).
options:
  path:
    description:
      - The policy file on the managed host, for example C(/etc/vfmgr/policy.yaml).
    type: path
    required: true
  allow:
    description:
      - The most a plan step may disrupt, passed as C(vfmgr apply --allow). Unset, vfmgr's
        default applies (C(vf-destroy)). Enabling or disabling VFs on igb is C(pf-reset), the
        PF's link drops for about a second.
    type: str
    choices: [none, vf-reset, vf-destroy, pf-reset]
  dest:
    description:
      - Where the applied policy lives for vfmgr's daemon and libvirt hook, for example
        C(/etc/vfmgr/policy.yaml). When set, C(path) is a staging copy; the plan is made from
        it, then it is copied to C(dest) (atomically, if that differs, which counts as a
        change) and C(vfmgr apply) runs on C(dest). While C(vfmgr daemon) runs, that apply is
        the daemon's, which applies only the file it runs, with this task's C(allow). When
        the apply fails or is refused, C(dest) is put back as it was (or removed, if it did
        not exist) and the daemon keeps the policy it ran. Never written in check mode.
    type: path
  state_file:
    description:
      - vfmgr's state file (C(--state)). Unset, vfmgr's default.
    type: path
  vfmgr:
    description:
      - The vfmgr program to run, a name on C(PATH) or a path.
    type: str
    default: vfmgr
notes:
  - Supports check mode and diff mode.
  - While C(vfmgr daemon) runs, C(vfmgr apply) goes through it and keeps C(allow); a step
    above it fails the task with the same refusal, and nothing changes.
requirements:
  - vfmgr on the managed host, run as root (use C(become)).
author:
  - vfmgr developers
"""

EXAMPLES = r"""
- name: The fleet policy, the same file on every host
  ansible.builtin.copy:
    src: fleet.yaml
    dest: /etc/vfmgr/policy.yaml
    mode: "0644"

- name: Converge this host (enabling VFs on igb resets the PF)
  vfmgr.sriov.policy:
    path: /etc/vfmgr/policy.yaml
    allow: pf-reset
  register: vfmgr

- name: Staged, so that --check --diff reviews the new file
  ansible.builtin.template:
    src: fleet.yaml.j2
    dest: /etc/vfmgr/policy.staged.yaml
  check_mode: false
- vfmgr.sriov.policy:
    path: /etc/vfmgr/policy.staged.yaml
    dest: /etc/vfmgr/policy.yaml
    allow: pf-reset

- name: Review a roll-out first - ansible-playbook site.yml --check --diff shows each plan
  vfmgr.sriov.policy:
    path: /etc/vfmgr/policy.yaml
  check_mode: true
"""

RETURN = r"""
plan:
  description: The steps of C(vfmgr plan), one per line, each ending with its impact; empty
    when the host already matches the policy (C(vfmgr plan --json) has no steps).
  returned: when the policy is valid
  type: list
  elements: str
  sample: ["+ 0000:01:00.0 numvfs 4 (was 0)  impact: pf-reset (igb resets the PF ...)"]
check:
  description: What C(vfmgr check) printed (the summary and any warnings).
  returned: always
  type: str
  sample: "/etc/vfmgr/policy.yaml: valid (3 pfs, 2 networks, 2 vms, 0 warnings; 5 host groups)"
installed:
  description: Whether C(path) was copied to C(dest) and kept there (a failed apply puts
    C(dest) back).
  returned: always
  type: bool
applied:
  description: Whether C(vfmgr apply) ran (not in check mode, and only for a non-empty plan).
  returned: always
  type: bool
stdout:
  description: What the last vfmgr command printed.
  returned: always
  type: str
stderr:
  description: What the last vfmgr command printed on standard error (diagnostics).
  returned: always
  type: str
"""

import filecmp
import json
import os
import shutil
import tempfile

from ansible.module_utils.basic import AnsibleModule


def run(module, vfmgr, args):
    return module.run_command([vfmgr] + args, check_rc=False, environ_update={"LC_ALL": "C"})


def fail(module, what, rc, out, err, **result):
    # vfmgr's own messages (file:line:col, the refusal) are the message of the failure.
    text = (err.strip() or out.strip() or "exit status %d" % rc)
    module.fail_json(msg="%s failed: %s" % (what, text), rc=rc, stdout=out, stderr=err,
                     **result)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            allow=dict(type="str", choices=["none", "vf-reset", "vf-destroy", "pf-reset"]),
            dest=dict(type="path"),
            state_file=dict(type="path"),
            vfmgr=dict(type="str", default="vfmgr"),
        ),
        supports_check_mode=True,
    )
    p = module.params
    vfmgr = p["vfmgr"]
    if "/" not in vfmgr:
        vfmgr = module.get_bin_path(vfmgr, required=True)
    state = ["--state", p["state_file"]] if p["state_file"] else []
    result = dict(changed=False, applied=False, installed=False, plan=[], check="")

    rc, out, err = run(module, vfmgr, ["check", p["path"]])
    result["check"] = (out + err).strip()
    if rc != 0:
        fail(module, "vfmgr check", rc, out, err, **result)

    # The steps from --json (a converged host prints a sentence, not an empty plan), the
    # text for people.
    rc, out, err = run(module, vfmgr, ["plan", p["path"], "--json"] + state)
    if rc != 0:
        fail(module, "vfmgr plan", rc, out, err, **result)
    try:
        steps = json.loads(out)["steps"]
    except (ValueError, KeyError, TypeError) as e:
        module.fail_json(msg="vfmgr plan --json printed no {\"steps\": [...]} object: %s" % e,
                         stdout=out, **result)
    result["changed"] = bool(steps)
    out = ""
    if steps:
        rc, out, err = run(module, vfmgr, ["plan", p["path"]] + state)
        if rc != 0:
            fail(module, "vfmgr plan", rc, out, err, **result)
        result["plan"] = [line for line in out.splitlines() if line.strip()]
    if module._diff:
        text = out if result["changed"] else ""
        result["diff"] = dict(prepared=text)
    if module.check_mode:
        if p["dest"] and not same_file(p["path"], p["dest"]):
            result["changed"] = True
        module.exit_json(stdout=out, stderr=err, **result)

    # With dest, the staged file is applied as dest: while vfmgr's daemon runs, apply goes
    # through it, and the daemon applies only the policy file it runs. dest is put back as it
    # was when the apply fails (the daemon keeps running the policy it ran then, too).
    target = p["dest"] or p["path"]
    before = None
    if p["dest"] and not same_file(p["path"], p["dest"]):
        before = read_file(p["dest"])
        install(module, p["path"], p["dest"])
        result["installed"] = result["changed"] = True
    if steps:
        args = ["apply", target] + state
        if p["allow"]:
            args += ["--allow", p["allow"]]
        rc, out, err = run(module, vfmgr, args)
        if rc != 0:
            if result["installed"]:
                restore(module, p["dest"], before)
                result["installed"] = False
            fail(module, "vfmgr apply", rc, out, err, **result)
        result["applied"] = True
    module.exit_json(stdout=out, stderr=err, **result)


def same_file(a, b):
    return os.path.exists(b) and filecmp.cmp(a, b, shallow=False)


def read_file(path):
    # None: there was no file.
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        return None


def restore(module, dest, content):
    if content is None:
        os.unlink(dest)
        return
    d = os.path.dirname(dest) or "."
    fd, tmp = tempfile.mkstemp(dir=d, prefix=".vfmgr-policy.")
    with os.fdopen(fd, "wb") as f:
        f.write(content)
    os.chmod(tmp, 0o644)
    module.atomic_move(tmp, dest)


def install(module, src, dest):
    # Atomically: the daemon or the libvirt hook may read dest at any time.
    d = os.path.dirname(dest) or "."
    fd, tmp = tempfile.mkstemp(dir=d, prefix=".vfmgr-policy.")
    os.close(fd)
    shutil.copyfile(src, tmp)
    os.chmod(tmp, 0o644)
    module.atomic_move(tmp, dest)


if __name__ == "__main__":
    main()
