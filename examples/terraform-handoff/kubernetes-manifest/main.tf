# otterscale decides, Terraform's kubernetes provider applies. With controller_url = "handoff://"
# otterscale checks quota, places and records every resource, but applies nothing; each object it
# rendered is fed to `kubernetes_manifest` (server-side apply, drift detection by the kubernetes
# provider). A VM that does not fit its quota fails at plan time, so none of its objects is planned.
#
# NOT run by this repository's tests: the hashicorp/kubernetes provider cannot be installed
# offline here (no registry access, no mirror). The otterscale half is the same as in
# ../export/main.tf, which the tests do apply with the real terraform binary.
terraform {
  required_providers {
    otterscale = {
      source = "otterscale/otterscale"
    }
    kubernetes = {
      source  = "hashicorp/kubernetes"
      version = ">= 2.23"
    }
  }
}

provider "otterscale" {
  controller_url = "handoff://"
}

provider "kubernetes" {
  config_path = "~/.kube/config"
}

resource "otterscale_server" "node" {
  for_each    = toset(["node-1", "node-2"])
  name        = each.key
  hostname    = "${each.key}.dc1.example"
  cpu_cores   = 64
  memory_gib  = 512
  storage_gib = 4000
}

resource "otterscale_baremetal_group" "prod" {
  name    = "prod"
  servers = [for s in otterscale_server.node : s.name]
}

resource "otterscale_tenant_quota" "acme" {
  tenant      = "acme"
  group       = otterscale_baremetal_group.prod.name
  cpu_cores   = 16
  memory_gib  = 64
  storage_gib = 500
}

resource "otterscale_virtual_machine" "web" {
  for_each   = toset(["web-1", "web-2"])
  name       = each.key
  tenant     = otterscale_tenant_quota.acme.tenant
  group      = otterscale_tenant_quota.acme.group
  cpu_cores  = 4
  memory_gib = 8
  disk_gib   = 50
  image      = "quay.io/containerdisks/ubuntu:24.04"
  placement  = { anti_affinity_group = "web" }
}

locals {
  # Every object to apply, keyed "<kind>/<namespace>/<name>" so that keys are known at plan time
  # for the resources that already exist, and stable across applies.
  handed_off = merge(
    { for doc in otterscale_tenant_quota.acme.manifests : "${jsondecode(doc).kind}/${jsondecode(doc).metadata.namespace}/${jsondecode(doc).metadata.name}" => jsondecode(doc) },
    merge([for vm in otterscale_virtual_machine.web : {
      for doc in vm.manifests : "${jsondecode(doc).kind}/${jsondecode(doc).metadata.namespace}/${jsondecode(doc).metadata.name}" => jsondecode(doc)
    }]...),
  )
}

# kubernetes_manifest needs its keys (and, for a CRD object, the CRD in the cluster) at plan time.
# A new otterscale resource's `manifests` are known only after apply, so a brand-new estate is
# applied in two steps:
#   terraform apply -target=otterscale_virtual_machine.web -target=otterscale_tenant_quota.acme
#   terraform apply
resource "kubernetes_manifest" "handed_off" {
  for_each = local.handed_off
  manifest = each.value
}
