// Azure Database for PostgreSQL flexible server for Portier (deployed by infra/azure.bicep when usePostgres is true).
// Creates the server, the `portier` database and the firewall rule that lets Azure services (the web app) in, and
// stores the full connection string in Key Vault as the secret DATABASE-URL; the web app's DATABASE_URL setting is a
// Key Vault reference to the exact version written here.

@description('Globally unique server name (3-63 lower-case letters, digits and hyphens).')
@minLength(3)
@maxLength(63)
param serverName string

param location string

@description('Compute size. Burstable B1ms suits a small extranet; General Purpose (e.g. Standard_D2ds_v5) for more instances.')
param skuName string = 'Standard_B1ms'

@allowed(['Burstable', 'GeneralPurpose', 'MemoryOptimized'])
param skuTier string = 'Burstable'

@minValue(32)
param storageSizeGB int = 32

param administratorLogin string = 'portier'

@secure()
@description('Administrator password; infra/azure.bicep generates one on each deployment unless you pass your own.')
param administratorLoginPassword string

param databaseName string = 'portier'

@description('Existing Key Vault (RBAC) in this resource group that receives the DATABASE-URL secret.')
param keyVaultName string

resource server 'Microsoft.DBforPostgreSQL/flexibleServers@2024-08-01' = {
  name: serverName
  location: location
  sku: {
    name: skuName
    tier: skuTier
  }
  properties: {
    version: '16'
    administratorLogin: administratorLogin
    administratorLoginPassword: administratorLoginPassword
    storage: {
      storageSizeGB: storageSizeGB
    }
    backup: {
      backupRetentionDays: 7
      geoRedundantBackup: 'Disabled'
    }
    highAvailability: {
      mode: 'Disabled'
    }
    network: {
      publicNetworkAccess: 'Enabled'
    }
  }
}

resource database 'Microsoft.DBforPostgreSQL/flexibleServers/databases@2024-08-01' = {
  parent: server
  name: databaseName
  properties: {
    charset: 'UTF8'
    collation: 'en_US.utf8'
  }
}

// 0.0.0.0 - 0.0.0.0 is Azure's convention for "allow connections from Azure services", such as App Service.
resource allowAzureServices 'Microsoft.DBforPostgreSQL/flexibleServers/firewallRules@2024-08-01' = {
  parent: server
  name: 'AllowAllAzureServicesAndResourcesWithinAzureIps'
  properties: {
    startIpAddress: '0.0.0.0'
    endIpAddress: '0.0.0.0'
  }
}

resource keyVault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

// Azure requires TLS; node-postgres verifies the server certificate (sslmode=require).
resource databaseUrlSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: keyVault
  name: 'DATABASE-URL'
  properties: {
    value: 'postgres://${administratorLogin}:${uriComponent(administratorLoginPassword)}@${server.properties.fullyQualifiedDomainName}:5432/${database.name}?sslmode=require'
    contentType: 'text/plain'
  }
  dependsOn: [
    allowAzureServices
  ]
}

output serverFqdn string = server.properties.fullyQualifiedDomainName
output databaseName string = database.name
@description('Versioned URI of the DATABASE-URL secret: a new password gives a new version and so a new app setting.')
output databaseUrlSecretUri string = databaseUrlSecret.properties.secretUriWithVersion
