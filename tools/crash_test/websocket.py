"""The client half of RFC 6455, as much as a y-protocols editor needs:
the upgrade, masked binary frames out, whole messages in (fragments
joined, pings answered, a close ends it). The standard library has no
WebSocket client, and the crash test installs nothing it can do without."""
import base64
import os
import socket
import struct


class Closed(Exception):
    """The connection ended: a close frame, end of stream, or a reset."""


class Client:
    def __init__(self, port, path, headers, timeout=10):
        self.timeout = timeout
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        lines = ["GET %s HTTP/1.1" % path, "Host: 127.0.0.1:%d" % port, "Upgrade: websocket",
                 "Connection: Upgrade", "Sec-WebSocket-Key: " + key, "Sec-WebSocket-Version: 13"]
        lines += ["%s: %s" % kv for kv in headers.items()]
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise Closed("the server closed the connection during the upgrade")
            head += chunk
        head, self.buffer = head.split(b"\r\n\r\n", 1)
        status = head.split(b"\r\n", 1)[0]
        if b" 101 " not in status + b" ":
            raise Closed("no upgrade: %s" % status.decode(errors="replace"))
        self.sock.setblocking(False)
        self.partial = []
        self.closed = False

    def fileno(self):
        return self.sock.fileno()

    def send(self, payload, opcode=0x2):
        """One masked frame (binary unless told otherwise); blocks until
        written, or `timeout` seconds (a server that stops reading)."""
        n = len(payload)
        head = bytes([0x80 | opcode])
        if n < 126:
            head += bytes([0x80 | n])
        elif n < 1 << 16:
            head += bytes([0x80 | 126]) + struct.pack("!H", n)
        else:
            head += bytes([0x80 | 127]) + struct.pack("!Q", n)
        mask = os.urandom(4)
        body = bytes(b ^ mask[i & 3] for i, b in enumerate(payload))
        self.sock.settimeout(self.timeout)
        try:
            self.sock.sendall(head + mask + body)
        except OSError as e:
            raise Closed(str(e))
        finally:
            self.sock.setblocking(False)

    def receive(self):
        """The whole messages that have arrived (a list, maybe empty), without blocking."""
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    self.closed = True
                    break
                self.buffer += chunk
        except BlockingIOError:
            pass
        except OSError:
            self.closed = True
        messages = []
        while True:
            frame = self._frame()
            if frame is None:
                break
            fin, opcode, payload = frame
            if opcode == 0x8:
                self.closed = True
                break
            if opcode == 0x9:
                try:
                    self.send(payload, opcode=0xA)
                except Closed:
                    self.closed = True  # what arrived before is still returned
                continue
            if opcode == 0xA:
                continue
            self.partial.append(payload)
            if fin:
                messages.append(b"".join(self.partial))
                self.partial = []
        if self.closed and not messages:
            raise Closed("the server closed the connection")
        return messages

    def _frame(self):
        b = self.buffer
        if len(b) < 2:
            return None
        fin, opcode = b[0] & 0x80, b[0] & 0x0F
        masked, n, at = b[1] & 0x80, b[1] & 0x7F, 2
        if n == 126:
            if len(b) < 4:
                return None
            n, at = struct.unpack("!H", b[2:4])[0], 4
        elif n == 127:
            if len(b) < 10:
                return None
            n, at = struct.unpack("!Q", b[2:10])[0], 10
        mask = b""
        if masked:
            mask, at = b[at:at + 4], at + 4
        if len(b) < at + n:
            return None
        payload = b[at:at + n]
        if masked:
            payload = bytes(x ^ mask[i & 3] for i, x in enumerate(payload))
        self.buffer = b[at + n:]
        return fin, opcode, payload

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass
