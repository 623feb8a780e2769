/**
 * TLS for shard connections, used by client and server alike and by neither of them through the other:
 * {@link dev.stratus.ps.tls.ShardCertificate} (a shard's certificate and key, PEM; a job's self-signed one),
 * {@link dev.stratus.ps.tls.ShardTls} (the shard's Netty context; the client's sockets, which pin the certificate).
 */
package dev.stratus.ps.tls;
