// Browser downloads, for the shell's exports and the labs' own (point sets, token files).

/** Save a Blob as a download named `name` (the object URL is revoked once the click has taken it). */
export function saveBlob(name: string, data: Blob): void {
  const url = URL.createObjectURL(data);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
