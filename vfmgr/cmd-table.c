/* Every vfmgr command: its name, usage, help and options in one place, which dispatch, the
 * usage lists, --help and the option parser all read. */
#include "vfmgr/cmd.h"
#include "util/cleanup.h"

static const struct command rss_commands[] = {
    {.name = "show",
     .synopsis = "IFACE [--json]",
     .help = "channels, RSS table, key, hash function and queue IRQs",
     .opts = OPT_JSON,
     .min_args = 1,
     .max_args = 1,
     .run = cmd_rss_show},
    {.name = "set",
     .synopsis = "IFACE [channels N] [equal N | weight W0 W1 ... | numa-local] [start S]\n"
                 "                          [hkey HEX|random] [hfunc NAME] [irq-affinity "
                 "local]",
     .help = "change them: all checked first, rolled back on a failure",
     .min_args = 2,
     .max_args = -1,
     .words = true,
     .run = cmd_rss_set},
};

static const char qemu_details[] =
    "One -device per line for qemu-system-x86_64 ... $(vfmgr qemu-args VM).\n"
    "A migratable NIC gets QEMU's failover pair on a q35 machine: a pcie-root-port, a\n"
    "virtio-net-pci standby on netdev vfmgr-VM-nicN-net, and the VF as its primary. That\n"
    "netdev is yours to define (-netdev tap,id=vfmgr-VM-nicN-net,...), or --netdev SPEC\n"
    "prints -netdev SPEC,id=vfmgr-VM-nicN-net for each standby (e.g. --netdev bridge,br=br0).\n"
    "With --json: {\"args\": [...]}, the words of the command line, -device values in QEMU's\n"
    "JSON form.\n";

static const char libvirt_details[] =
    "A <hostdev managed='no'> per VF and whole device, for the domain's <devices>.\n"
    "A migratable NIC's VF gets <teaming type='transient'> and a virtio <interface> with\n"
    "<teaming type='persistent'/> on standby, connected as --standby says (default: libvirt\n"
    "network 'default'). contrib/libvirt-hook runs vfmgr prepare and release from libvirt.\n";

static const char guest_details[] =
    "From the policy (no state, no host needed): each VF the VM gets, matched by its MAC; a\n"
    "redundant NIC's two legs as bond<N> (active-backup, primary leg a, MII monitoring,\n"
    "fail-over-mac-policy active); a migratable NIC's net_failover master, matched by MAC and\n"
    "driver net_failover so that its standby and VF (same MAC) stay unconfigured. For\n"
    "cloud-init's network-config or /etc/netplan; --json: the same model as JSON.\n";

const struct command vfmgr_commands[] = {
    {.name = "list",
     .synopsis = "[--json]",
     .help = "network PCI devices, their VFs and drivers",
     .opts = OPT_JSON,
     .run = cmd_list},
    {.name = "check",
     .synopsis = "POLICY [--json] [--hostname NAME]",
     .help = "validate a policy file (vfmgr-policy(5))",
     .opts = OPT_JSON | OPT_HOSTNAME,
     .min_args = 1,
     .max_args = 1,
     .run = cmd_check},
    {.name = "plan",
     .synopsis = "POLICY [--json] [--detailed-exitcode] [--state FILE] [--hostname NAME]",
     .help = "show what apply would change",
     .opts = OPT_JSON | OPT_DETAILED_EXIT | OPT_STATE | OPT_HOSTNAME,
     .min_args = 1,
     .max_args = 1,
     .run = cmd_plan},
    {.name = "apply",
     .synopsis = "POLICY [--allow none|vf-reset|vf-destroy|pf-reset] [--json] [--state FILE]",
     .help = "make the host match the policy",
     .opts = OPT_ALLOW | OPT_JSON | OPT_STATE,
     .min_args = 1,
     .max_args = 1,
     .run = cmd_apply},
    {.name = "status",
     .synopsis = "[--json] [--state FILE]",
     .help = "what vfmgr holds: VFs with live settings and drift, whole devices",
     .opts = OPT_JSON | OPT_STATE,
     .run = cmd_status},
    {.name = "prepare",
     .synopsis = "VM [--policy FILE] [--state FILE] [--if-managed]",
     .help = "one VM's VFs and devices, ready to start",
     .opts = OPT_POLICY | OPT_STATE | OPT_IF_MANAGED,
     .min_args = 1,
     .max_args = 1,
     .run = cmd_prepare},
    {.name = "release",
     .synopsis = "VM [--state FILE] [--if-managed]",
     .help = "give a VM's VFs and devices back as found",
     .opts = OPT_STATE | OPT_IF_MANAGED,
     .min_args = 1,
     .max_args = 1,
     .run = cmd_release},
    {.name = "qemu-args",
     .synopsis = "VM [--json] [--netdev SPEC] [--state FILE]",
     .help = "-device arguments for the VM's devices",
     .details = qemu_details,
     .opts = OPT_JSON | OPT_NETDEV | OPT_STATE,
     .min_args = 1,
     .max_args = 1,
     .run = cmd_qemu_args},
    {.name = "libvirt-xml",
     .synopsis = "VM [--standby network=NAME|bridge=NAME|user] [--state FILE]",
     .help = "<interface>/<hostdev> XML for the VM",
     .details = libvirt_details,
     .opts = OPT_STANDBY | OPT_STATE,
     .min_args = 1,
     .max_args = 1,
     .run = cmd_libvirt_xml},
    {.name = "guest-config",
     .synopsis = "VM [--json] [--policy FILE] [--hostname NAME]",
     .help = "the VM's own network configuration (netplan / cloud-init v2)",
     .details = guest_details,
     .opts = OPT_JSON | OPT_POLICY | OPT_HOSTNAME,
     .min_args = 1,
     .max_args = 1,
     .run = cmd_guest_config},
    {.name = "rss",
     .synopsis = "show|set IFACE ...",
     .help = "channels, RSS table, key, hash function, queue IRQs",
     .subs = rss_commands,
     .n_subs = ARRAY_SIZE(rss_commands)},
    {.name = "metrics",
     .synopsis = "[--policy FILE | --no-policy] [--state FILE] [--hostname NAME]",
     .help = "VF state and the last apply, Prometheus text format",
     .opts = OPT_POLICY | OPT_NO_POLICY | OPT_STATE | OPT_HOSTNAME,
     .run = cmd_metrics},
    {.name = "daemon",
     .synopsis = "[--policy FILE] [--state FILE] [--wait-pfs SECONDS] [--metrics-file FILE]",
     .help = "keep the host as the policy says, on every event",
     .opts = OPT_POLICY | OPT_STATE | OPT_WAIT_PFS | OPT_METRICS_FILE,
     .run = cmd_daemon},
    {.name = "reload",
     .synopsis = "",
     .help = "make the running daemon read its policy again, and say whether it took it",
     .details = "The daemon keeps the policy it ran when the new one does not validate; then\n"
                "reload prints the diagnostics and exits 1 (systemctl reload vfmgr runs it).\n",
     .max_args = 0,
     .run = cmd_reload},
    /* For the bash completion: the VMs a policy names, one a line. */
    {.name = "__complete-vms",
     .synopsis = "[--policy FILE]",
     .help = "the VM names of the policy",
     .opts = OPT_POLICY,
     .hidden = true,
     .run = cmd_complete_vms},
};

const size_t vfmgr_n_commands = ARRAY_SIZE(vfmgr_commands);
