# otterscale decides, a GitOps agent applies. With controller_url = "handoff://" every resource is
# checked against its tenant's quota, placed and recorded in the ledger as usual, but otterscale
# applies nothing and writes no file. The `manifests` output groups what was rendered by kind and
# id; one command writes it into a repository that Flux or Argo CD watches, in exactly the
# layout and bytes the gitops controller would have written:
#
#   terraform apply
#   terraform output -json manifests | otterscale export --dir ../fleet-repo/otterscale --prune
#
# (`--prune` removes the files of objects destroyed since the last export.) See README.md.
terraform {
  required_providers {
    otterscale = {
      source = "otterscale/otterscale"
    }
  }
}

variable "controller_url" {
  description = "handoff:// (otterscale applies nothing). The test suite sets a gitops:// directory to compare bytes."
  type        = string
  default     = "handoff://"
}

provider "otterscale" {
  controller_url = var.controller_url
}

resource "otterscale_server" "node" {
  for_each    = toset(["node-1", "node-2", "node-3"])
  name        = each.key
  hostname    = "${each.key}.dc1.example"
  rack        = each.key == "node-2" ? "r2" : "r1"
  cpu_cores   = 64
  memory_gib  = 512
  storage_gib = 4000
  bmc = {
    address  = "10.0.0.${substr(each.key, 5, 1)}"
    username = "admin"
    password = "not-in-any-manifest"
  }
}

resource "otterscale_baremetal_group" "prod" {
  name    = "prod"
  servers = [for s in otterscale_server.node : s.name]
}

resource "otterscale_tenant_quota" "acme" {
  tenant               = "acme"
  group                = otterscale_baremetal_group.prod.name
  cpu_cores            = 64
  memory_gib           = 256
  storage_gib          = 4000
  max_virtual_machines = 10
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
  user_data  = "#cloud-config\nhostname: ${each.key}\n"
  placement  = { anti_affinity_group = "web" }
}

resource "otterscale_vcluster" "dev" {
  name               = "dev"
  tenant             = otterscale_tenant_quota.acme.tenant
  group              = otterscale_tenant_quota.acme.group
  kubernetes_version = "1.31"
}

resource "otterscale_block_pool" "data" {
  name                = "data"
  tenant              = otterscale_tenant_quota.acme.tenant
  group               = otterscale_tenant_quota.acme.group
  size_gib            = 200
  deletion_protection = false
}

output "manifests" {
  description = "Every object this workspace placed, by kind and id: the input of `otterscale export`."
  value = {
    server          = { for s in otterscale_server.node : s.id => s.manifests }
    baremetal_group = { (otterscale_baremetal_group.prod.id) = otterscale_baremetal_group.prod.manifests }
    tenant_quota    = { (otterscale_tenant_quota.acme.id) = otterscale_tenant_quota.acme.manifests }
    virtual_machine = { for vm in otterscale_virtual_machine.web : vm.id => vm.manifests }
    vcluster        = { (otterscale_vcluster.dev.id) = otterscale_vcluster.dev.manifests }
    block_pool      = { (otterscale_block_pool.data.id) = otterscale_block_pool.data.manifests }
  }
}
