package dev.stratus.topology;

import com.amazonaws.services.lambda.runtime.Context;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.stream.Collectors;

/** A Lambda handler for the tests: returns the non-loopback IPv4 addresses of the environment it runs in. */
public final class AddressesFunction {
  public String handleRequest(Object input, Context context) throws SocketException {
    return NetworkInterface.networkInterfaces()
        .flatMap(NetworkInterface::inetAddresses)
        .filter(address -> !address.isLoopbackAddress() && address.getAddress().length == 4)
        .map(address -> address.getHostAddress())
        .sorted()
        .collect(Collectors.joining(","));
  }
}
