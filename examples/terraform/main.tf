# The example estate in plain Terraform: the same estate as examples/engine/estate.ts and the
# Pulumi and CDKTF examples. See README.md ("Terraform") for running it without a registry.
terraform {
  required_providers {
    otterscale = {
      source = "otterscale/otterscale"
    }
  }
}

# Embedded default: SQLite ledger + gitops manifests under $OTTERSCALE_HOME (~/.otterscale).
provider "otterscale" {}

locals {
  nodes = {
    for i in range(1, 7) : "node-${i}" => {
      rack = i % 2 == 1 ? "r1" : "r2"
      zone = i <= 3 ? "zone-a" : "zone-b"
      gpu  = i > 4
    }
  }
}

resource "otterscale_server" "node" {
  for_each    = local.nodes
  name        = each.key
  hostname    = "${each.key}.dc1.example"
  rack        = each.value.rack
  zone        = each.value.zone
  region      = "tw-north"
  labels      = { pool = each.value.gpu ? "gpu" : "general" }
  cpu_cores   = 64
  memory_gib  = 512
  storage_gib = 4000
  gpus        = each.value.gpu ? [{ model = "a100", count = 4 }] : null

  cpu_allocation_ratio = 2
  reserved_cpu_cores   = 4
  reserved_memory_gib  = 16
  maintainers          = ["group:sre"]
}

resource "otterscale_baremetal_group" "prod" {
  name               = "prod"
  description        = "All production nodes"
  selector           = { regions = ["tw-north"] }
  placement_strategy = "binpack"
  # The selector matches by attribute, so make the group wait for the servers it should see.
  depends_on = [otterscale_server.node]
}

resource "otterscale_tenant_quota" "acme" {
  tenant               = "acme"
  group                = otterscale_baremetal_group.prod.name
  cpu_cores            = 128
  memory_gib           = 1024
  storage_gib          = 8000
  gpus                 = 4
  max_virtual_machines = 20
  maintainers          = ["user:alice"]
}

resource "otterscale_tenant_quota" "globex" {
  tenant      = "globex"
  group       = otterscale_baremetal_group.prod.name
  cpu_cores   = 64
  memory_gib  = 256
  storage_gib = 2000
}

resource "otterscale_virtual_machine" "web" {
  count      = 3
  name       = "web-${count.index + 1}"
  tenant     = otterscale_tenant_quota.acme.tenant
  group      = otterscale_tenant_quota.acme.group
  cpu_cores  = 4
  memory_gib = 16
  disk_gib   = 50
  image      = "quay.io/containerdisks/ubuntu:24.04"
  placement = {
    anti_affinity_group = "web"
    spread_domain       = "server"
  }
  maintainers = ["user:alice"]

  timeouts {
    create = "10m"
  }
}

resource "otterscale_virtual_machine" "trainer" {
  name       = "trainer"
  tenant     = otterscale_tenant_quota.acme.tenant
  group      = otterscale_tenant_quota.acme.group
  cpu_cores  = 16
  memory_gib = 128
  disk_gib   = 500
  gpu_model  = "a100"
  gpu_count  = 2
}

resource "otterscale_vcluster" "dev" {
  name                   = "dev"
  tenant                 = otterscale_tenant_quota.globex.tenant
  group                  = otterscale_tenant_quota.globex.group
  kubernetes_version     = "v1.31.4"
  control_plane_replicas = 3
  workload_cpu_cores     = 16
  workload_memory_gib    = 64
  workload_storage_gib   = 200
}

resource "otterscale_block_pool" "db" {
  name           = "db"
  tenant         = otterscale_tenant_quota.acme.tenant
  group          = otterscale_tenant_quota.acme.group
  size_gib       = 500
  replicas       = 3
  failure_domain = "server"
  device_class   = "ssd"
}

resource "otterscale_block_pool" "archive" {
  name           = "archive"
  tenant         = otterscale_tenant_quota.acme.tenant
  group          = otterscale_tenant_quota.acme.group
  size_gib       = 1000
  erasure_coded  = { data_chunks = 2, coding_chunks = 1 }
  failure_domain = "server"
  # Example only: lets `terraform destroy` remove it. Production pools keep the default (true).
  deletion_protection = false
}

data "otterscale_tenant_usage" "acme" {
  tenant     = otterscale_tenant_quota.acme.tenant
  group      = otterscale_tenant_quota.acme.group
  depends_on = [otterscale_virtual_machine.web, otterscale_virtual_machine.trainer, otterscale_block_pool.db, otterscale_block_pool.archive]
}

data "otterscale_group_capacity" "prod" {
  group      = otterscale_baremetal_group.prod.name
  depends_on = [otterscale_vcluster.dev, otterscale_virtual_machine.web, otterscale_virtual_machine.trainer, otterscale_block_pool.db, otterscale_block_pool.archive]
}

output "web_servers" {
  value = otterscale_virtual_machine.web[*].server
}

output "vcluster_servers" {
  value = otterscale_vcluster.dev.servers
}

output "acme_cpu_used" {
  value = data.otterscale_tenant_usage.acme.used_cpu_cores
}

output "prod_free_cpu" {
  value = data.otterscale_group_capacity.prod.free_cpu_cores
}
