/**
 * Reads a posted form. A malformed body (e.g. multipart with a broken boundary) makes
 * request.formData() throw; that is the sender's fault, so it becomes a 400, not a 500.
 */
export async function readForm(request: Request): Promise<FormData> {
  try {
    return await request.formData();
  } catch {
    throw new Response("The form data could not be read. Go back and submit the form again.", {
      status: 400,
      statusText: "Bad Request",
    });
  }
}
